"""Hazard cases (社区吹哨、部门报到): routing, numbering, the ladder, the lifecycle, the tick."""
