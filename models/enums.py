"""Enumerations shared by tables, services and handlers."""

from __future__ import annotations

from enum import StrEnum


class DepartmentKind(StrEnum):
    """What a department is in the office's organisation."""

    COORDINATOR = "coordinator"
    LEADING_GROUP = "leading_group"
    FIRE_BRIGADE = "fire_brigade"
    POLICE_BUREAU = "police_bureau"
    POLICE_STATION = "police_station"
    HOUSING = "housing"
    SOCIAL_AFFAIRS = "social_affairs"
    COMMUNITY = "community"
    PROPERTY_FIRM = "property_firm"
    OTHER = "other"


class AreaKind(StrEnum):
    """A responsibility area: a community, a village or an estate inside one."""

    COMMUNITY = "community"
    VILLAGE = "village"
    ESTATE = "estate"
    GRID = "grid"


class Role(StrEnum):
    """What a person may do."""

    COORDINATOR = "coordinator"
    LEADER = "leader"
    DEPT_LEAD = "dept_lead"
    MEMBER = "member"
    GRID_WORKER = "grid_worker"


ROLE_LABELS: dict[Role, str] = {
    Role.COORDINATOR: "协调员",
    Role.LEADER: "领导小组成员",
    Role.DEPT_LEAD: "部门负责人",
    Role.MEMBER: "部门成员",
    Role.GRID_WORKER: "网格员",
}
