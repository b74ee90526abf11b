from django.contrib.admin.apps import AdminConfig


class CityAdminConfig(AdminConfig):
    """Makes :class:`~cityos.core.web.admin_site.CityAdminSite` the site ``@admin.register`` uses."""

    default_site = "cityos.core.web.admin_site.CityAdminSite"
