"""The console's pages, one module per area of work; ``ROUTERS`` mounts them in order."""

from app.console.pages import (
    admin,
    applications,
    audit,
    auth,
    cases,
    compliance,
    early_warning,
    home,
    models,
    static,
)

ROUTERS = (static.router, auth.router, home.router, applications.router, cases.router,
           compliance.router, early_warning.router, models.router, audit.router,
           admin.router)
