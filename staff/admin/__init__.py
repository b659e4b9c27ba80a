"""The admin of users, roles and sign-in security.

- `users`: roles, flags, last sign-in, second factor and lockout at a glance, with filters and
  actions (deactivate, unlock, reset the second factor); roles are assigned as checkboxes and
  there are no per-user permissions (access comes from roles only).
- `roles`: roles (groups) are read-only: they are the matrix in config/roles.py.
- `sign_ins`: failed and locked sign-ins (django-axes); clearing them unlocks, and is recorded.
- `activity`: the staff activity record and its downloads, read-only.
- `role_grants`: money roles asked for by one administrator, approved or refused by another.

The admin's autodiscovery imports this package; importing each module registers its pages.
"""

from staff.admin import activity, role_grants, roles, sign_ins, users

__all__ = ["activity", "role_grants", "roles", "sign_ins", "users"]
