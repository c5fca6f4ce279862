"""The turn's rules, one module per phase (docs/model.md section 3).

Each module holds plain functions over the world's arrays (:class:`sim.world.World`), the run's
changing state (:class:`sim.state.State`), the turn's scratch (:class:`sim.state.Turn`) and the
model's generator handed in; none imports the model, Mesa, or anything that draws or prints.
:class:`sim.model.GreatPowerModel` calls them in this order:

1. :mod:`sim.phases.events`: scheduled and injected events.
2. :mod:`sim.phases.perceive`: threat, exposure, effective salience, channel values.
3. :mod:`sim.phases.decide`: AI challenges and actions (scored by :mod:`sim.policy`).
4. :mod:`sim.phases.act`: actions carried out in a seeded shuffled order.
5. :mod:`sim.phases.bargain`: proposals resolved by the expected-utility kernel.
6. :mod:`sim.phases.military`: incidents, escalation, deconfliction.
7. :mod:`sim.phases.collective`: bloc votes and red lines.
8. :mod:`sim.phases.update`: tension, alignment, positions, issue states, the end.
"""
