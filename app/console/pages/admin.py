"""Console pages: administration — user accounts and their roles, API keys, and the notice
parties as deployed — and the admin's home panels.

Every change goes through the users service the API's ``/users`` and ``/api-keys`` routes call
(:mod:`app.users.service`), so the console enforces the same rules (no one changes their own
role or deactivates themselves) and writes the same ledger events. Form input is validated by
the API's own request schemas; their messages are shown next to the field they concern.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from sqlmodel import Session

from app.auth.deps import SettingsDep
from app.auth.permissions import Action
from app.auth.roles import Role
from app.config import Settings, get_settings
from app.console.deps import ConsoleAction
from app.console.home import panel
from app.console.rendering import page
from app.console.sessions import SignedIn
from app.db import SessionDep
from app.errors import Conflict
from app.params import RowId
from app.users import repository, service
from app.users.schemas import MIN_PASSWORD_LENGTH, ApiKeyCreate, UserCreate, UserUpdate

router = APIRouter(prefix="/console")
Admin = Annotated[SignedIn, ConsoleAction(Action.USER_ADMIN)]

# The parties printed on notices, as Settings names them (app.config.DEMO_PARTIES): who they
# are on the notice, and which of their details each setting holds.
PARTIES: tuple[tuple[str, str, tuple[tuple[str, str], ...]], ...] = (
    ("Creditor", "Named on every notice as the lender that took the action.",
     (("Name", "creditor_name"), ("Address", "creditor_address"),
      ("Phone", "creditor_phone"))),
    ("Supervising agency", "Named on every adverse-action notice as the agency that "
     "administers compliance with the Equal Credit Opportunity Act.",
     (("Name", "supervising_agency_name"), ("Address", "supervising_agency_address"))),
    ("Consumer reporting agency", "Named on an adverse-action notice when the credit score "
     "played a part in the decision, so the applicant can ask it for a free copy of the report.",
     (("Name", "consumer_reporting_agency_name"),
      ("Address", "consumer_reporting_agency_address"),
      ("Phone", "consumer_reporting_agency_phone"))),
)


def _env_name(setting: str) -> str:
    return f"RISKDESK_{setting.upper()}"


def field_errors(exc: ValidationError, schema: type[BaseModel]) -> dict[str, str]:
    """The messages of a schema's validation error, one per form field (the first of each)."""
    errors: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else "form"
        message = str(err["msg"]).removeprefix("Value error, ")
        described = schema.model_fields.get(field)
        if err["type"] == "string_pattern_mismatch" and described and described.description:
            # The pattern itself says nothing to a person; the schema's description says it.
            message = f"Use {described.description}"
        errors.setdefault(field, message[:1].upper() + message[1:])
    return errors


def _role_choices() -> list[Role]:
    return list(Role)


# --- Users -------------------------------------------------------------------------------


def _users_page(request: Request, session: Session, signed_in: SignedIn, *,
                status_code: int = 200, notice: str | None = None,
                errors: dict[str, str] | None = None,
                form: dict[str, str] | None = None) -> Response:
    return page(request, signed_in, "admin/users.html", title="Users and roles",
                status_code=status_code, users=repository.list_users(session),
                roles=_role_choices(), notice=notice, errors=errors or {},
                form=form or {}, min_password=MIN_PASSWORD_LENGTH)


@router.get("/users")
def users(request: Request, session: SessionDep, signed_in: Admin) -> Response:
    """Every user account: role, state and creation; forms to add and change them."""
    return _users_page(request, session, signed_in)


@router.post("/users")
def create_user(request: Request, session: SessionDep, signed_in: Admin,
                username: Annotated[str, Form()] = "", role: Annotated[str, Form()] = "",
                password: Annotated[str, Form()] = "") -> Response:
    """Create a user through the API's service; a refused field is shown beside itself."""
    # The password is never sent back into the form.
    entered = {"username": username, "role": role}
    try:
        body = UserCreate(username=username, role=role, password=password)
    except ValidationError as exc:
        return _users_page(request, session, signed_in, status_code=422,
                           errors=field_errors(exc, UserCreate), form=entered)
    try:
        user = service.create_user(session, signed_in.principal, username=body.username,
                                   password=body.password, role=body.role)
    except Conflict as exc:
        if exc.code != "username_taken":
            raise
        # Raised before anything is written: the form is shown again to pick another name.
        return _users_page(request, session, signed_in, status_code=409,
                           errors={"username": "This username is taken; choose another."},
                           form=entered)
    return _users_page(request, session, signed_in, status_code=201,
                       notice=f"User {user.username} was created with the role "
                              f"{body.role.replace('_', ' ')}.")


def _update(request: Request, session: Session, signed_in: SignedIn, user_id: int,
            change: UserUpdate, done: str) -> Response:
    user = service.update_user(session, signed_in.principal, user_id, change)
    return _users_page(request, session, signed_in, notice=done.format(user=user.username))


@router.post("/users/{user_id}/role")
def change_role(request: Request, session: SessionDep, signed_in: Admin, user_id: RowId,
                role: Annotated[str, Form()] = "") -> Response:
    """Give another user a new role (the service refuses one's own)."""
    try:
        change = UserUpdate(role=role)
    except ValidationError as exc:
        # Only a forged form sends a role the select does not offer.
        message = field_errors(exc, UserUpdate).get("role", "Choose a role.")
        return _users_page(request, session, signed_in, status_code=422,
                           errors={"change": message})
    return _update(request, session, signed_in, user_id, change,
                   "{user}'s role is now " + str(change.role).replace("_", " ")
                   + "; their sessions and tokens have ended.")


@router.post("/users/{user_id}/deactivate")
def deactivate(request: Request, session: SessionDep, signed_in: Admin,
               user_id: RowId) -> Response:
    """Disable another user's sign-in and every token they hold (the service refuses one's own
    account)."""
    return _update(request, session, signed_in, user_id, UserUpdate(is_active=False),
                   "{user} was deactivated: they can no longer sign in.")


@router.post("/users/{user_id}/reactivate")
def reactivate(request: Request, session: SessionDep, signed_in: Admin,
               user_id: RowId) -> Response:
    """Let a deactivated user sign in again."""
    return _update(request, session, signed_in, user_id, UserUpdate(is_active=True),
                   "{user} was reactivated and may sign in again.")


def _password_page(request: Request, signed_in: SignedIn, user: Any, *,
                   status_code: int = 200, errors: dict[str, str] | None = None) -> Response:
    return page(request, signed_in, "admin/password.html",
                title=f"Reset the password of {user.username}", status_code=status_code,
                user=user, errors=errors or {}, min_password=MIN_PASSWORD_LENGTH,
                own=user.id == signed_in.principal.user_id)


@router.get("/users/{user_id}/password")
def password_form(request: Request, session: SessionDep, signed_in: Admin,
                  user_id: RowId) -> Response:
    """The form to set a user's new password."""
    return _password_page(request, signed_in, service.get_user(session, user_id))


@router.post("/users/{user_id}/password")
def reset_password(request: Request, session: SessionDep, signed_in: Admin, user_id: RowId,
                   password: Annotated[str, Form()] = "") -> Response:
    """Set a user's password through the API's service: their sessions and tokens end."""
    user = service.get_user(session, user_id)
    try:
        change = UserUpdate(password=password)
    except ValidationError as exc:
        return _password_page(request, signed_in, user, status_code=422,
                              errors=field_errors(exc, UserUpdate))
    return _update(request, session, signed_in, user_id, change,
                   "{user}'s password was reset; their sessions and tokens have ended. "
                   "Give them the new password by a channel of its own.")


# --- API keys ----------------------------------------------------------------------------


def _keys_page(request: Request, session: Session, signed_in: SignedIn, *,
               status_code: int = 200, notice: str | None = None,
               errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
               created: Any = None, full_key: str | None = None) -> Response:
    keys = repository.list_api_keys(session)
    owners = repository.people(session, {str(k.created_by) for k in keys})
    return page(request, signed_in, "admin/api_keys.html", title="API keys",
                status_code=status_code, keys=keys, owners=owners, roles=_role_choices(),
                notice=notice, errors=errors or {}, form=form or {}, created=created,
                full_key=full_key)


@router.get("/api-keys")
def api_keys(request: Request, session: SessionDep, signed_in: Admin) -> Response:
    """Every API key, never its secret; forms to create and revoke."""
    return _keys_page(request, session, signed_in)


@router.post("/api-keys")
def create_api_key(request: Request, session: SessionDep, signed_in: Admin,
                   name: Annotated[str, Form()] = "",
                   role: Annotated[str, Form()] = "") -> Response:
    """Create a key through the API's service and show it in this response only: only its
    hash is stored, and the console's pages are never cached (app.console.security)."""
    try:
        body = ApiKeyCreate(name=name, role=role)
    except ValidationError as exc:
        return _keys_page(request, session, signed_in, status_code=422,
                          errors=field_errors(exc, ApiKeyCreate),
                          form={"name": name, "role": role})
    record, full_key = service.create_api_key(session, signed_in.principal, name=body.name,
                                              role=body.role)
    return _keys_page(request, session, signed_in, status_code=201, created=record,
                      full_key=full_key)


@router.post("/api-keys/{record_id}/revoke")
def revoke_api_key(request: Request, session: SessionDep, signed_in: Admin,
                   record_id: RowId) -> Response:
    """Revoke a key through the API's service: requests with it are refused from now on."""
    record = service.revoke_api_key(session, signed_in.principal, record_id)
    return _keys_page(request, session, signed_in,
                      notice=f"The key {record.name} ({record.key_id}) was revoked: requests "
                             "with it are refused from now on.")


# --- Notice parties ----------------------------------------------------------------------


def party_rows(settings: Settings) -> list[dict[str, Any]]:
    """Each party with, per detail, its value, the setting it comes from and whether that is
    set, empty or left at the demo value (by the rule start-up applies: party_problems)."""
    problems = set(settings.party_problems())
    parties = []
    for title, role, details in PARTIES:
        rows = []
        for label, setting in details:
            value = str(getattr(settings, setting))
            env = _env_name(setting)
            state = ("empty" if not value.strip() else "demo" if env in problems else "set")
            rows.append({"label": label, "setting": setting, "env": env, "value": value,
                         "state": state, "from_env": setting in settings.model_fields_set})
        parties.append({"title": title, "role": role, "rows": rows})
    return parties


@router.get("/notice-parties")
def notice_parties(request: Request, settings: SettingsDep, signed_in: Admin) -> Response:
    """The parties printed on adverse-action notices as this deployment configures them."""
    return page(request, signed_in, "admin/notice_parties.html", title="Notice parties",
                parties=party_rows(settings), problems=settings.party_problems(),
                demo_mode=settings.demo_mode)


# --- Home panels -------------------------------------------------------------------------


@panel("Users and roles", Action.USER_ADMIN, "admin/home_users.html")
def _users_panel(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    counts = repository.users_by_role(session)
    rows = [(role, *counts.get(str(role), (0, 0))) for role in Role]
    return {"rows": rows, "active": sum(r[1] for r in rows),
            "inactive": sum(r[2] for r in rows)}


@panel("API keys", Action.USER_ADMIN, "admin/home_api_keys.html")
def _keys_panel(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    return {"active": repository.active_api_key_count(session)}


@panel("Deployment warnings", Action.USER_ADMIN, "admin/home_warnings.html")
def _warnings_panel(session: Session, signed_in: SignedIn) -> dict[str, Any]:
    settings = get_settings()
    return {"demo_mode": settings.demo_mode, "problems": settings.party_problems()}
