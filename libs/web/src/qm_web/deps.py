"""FastAPI dependencies of the edge: principal, workspace selection, action authorization."""

import hmac
import uuid
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from qm_core.errors import BadRequest, Forbidden, NotFound, Unauthorized
from qm_core.ids import WorkspaceId
from qm_web.auth import Principal
from qm_web.rbac import POLICY, Role


@dataclass(frozen=True)
class Access:
    """What an authorized request may act as: who, in which workspace, with which role."""

    principal: Principal
    workspace_id: WorkspaceId
    role: Role


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("missing bearer token")
    return token.strip()


async def get_principal(request: Request) -> Principal:
    """The verified caller of this request."""
    principal: Principal = await request.app.state.verifier.verify(_bearer(request))
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def _parse_ws(raw: str, where: str) -> WorkspaceId:
    try:
        return WorkspaceId(uuid.UUID(raw))
    except ValueError as exc:
        raise BadRequest(f"{where} {raw!r} is not a valid workspace id (UUID)") from exc


def get_workspace_id(request: Request) -> WorkspaceId:
    """The workspace of a scoped request: path `workspace_id`, else query, else X-Workspace-Id."""
    header = request.headers.get("x-workspace-id")
    explicit = request.path_params.get("workspace_id") or request.query_params.get("workspace_id")
    if explicit is not None:
        ws = _parse_ws(str(explicit), "workspace_id")
        if header is not None and _parse_ws(header, "X-Workspace-Id") != ws:
            raise BadRequest("X-Workspace-Id does not match the workspace in the URL")
        return ws
    if header is None:
        raise BadRequest("X-Workspace-Id header is required for this route")
    return _parse_ws(header, "X-Workspace-Id")


CurrentWorkspace = Annotated[WorkspaceId, Depends(get_workspace_id)]


def authorize(action: str) -> Any:
    """Dependency declaring a route's action; resolves the caller's role and enforces POLICY.

    Not a member (or no such workspace) is a 404, so existence never leaks; too low a role is 403.
    """
    minimum = POLICY[action]  # an undeclared action fails here, at import: deny by default

    async def dependency(
        request: Request, principal: CurrentPrincipal, workspace_id: CurrentWorkspace
    ) -> Access:
        role = await request.app.state.membership.role_of(workspace_id, principal.sub)
        if role is None:
            raise NotFound(f"workspace {workspace_id} not found")
        if role < minimum:
            raise Forbidden(f"{action} needs role {minimum.name} or higher; you are {role.name}")
        return Access(principal=principal, workspace_id=workspace_id, role=role)

    dependency.qm_action = action  # type: ignore[attr-defined]
    return Depends(dependency)


async def _authenticated(principal: CurrentPrincipal) -> Principal:
    return principal


_authenticated.qm_action = "authenticated"  # type: ignore[attr-defined]
Authenticated = Annotated[Principal, Depends(_authenticated)]


async def require_service_token(request: Request) -> None:
    """Guard of `/internal/v1/*`: the caller must present the shared service token."""
    expected = request.app.state.settings.service_token
    if not expected or not hmac.compare_digest(_bearer(request), expected):
        raise Unauthorized("internal API needs the service token")


require_service_token.qm_action = "internal"  # type: ignore[attr-defined]
ServiceCaller = Annotated[None, Depends(require_service_token)]
