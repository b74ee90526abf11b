"""The platform core: people and roles, audit, geography, notifications, events, jobs, registry.

Domain apps import from here; core never imports a domain app.
"""
