"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from .db import Database, redact
from .errors import ApiError
from .http import runtime, settings

DEPENDENCIES = ("database", "redis")  # what ?require= may name besides the capabilities

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Each capability's and each server's state (the database, Redis), with the reason and fix when it is
    not ready.

    The service always serves extractive summaries, so it is ready (200) once its
    models are loaded or have failed to load; a deployment that needs a capability
    asks for it: ``/readyz?require=translation`` (or ``require=database``, ``require=redis``) answers 503
    until it is ready; a name it does not know is a 400 that lists the names it does (a misspelt probe would
    otherwise fail forever, saying only what is missing).
    """
    caps = {name: cap.as_dict() for name, cap in runtime().capabilities().items()}
    required = [c.strip() for c in request.args.get("require", "").split(",") if c.strip()]
    known = [*caps, *DEPENDENCIES]
    unknown = [c for c in required if c not in known]
    if unknown:
        raise ApiError(400, "Unknown capability", f"require names {', '.join(repr(c) for c in unknown)}, which "
                       f"/readyz does not know; name any of {', '.join(known)}, comma-separated "
                       "(e.g. /readyz?require=translation,database)", slug="unknown-capability",
                       errors=[{"field": "require", "message": f"one of {', '.join(known)}"}], known=known)
    deps = dependencies()
    missing = [c for c in required if not (caps.get(c) or deps.get(c) or {}).get("ready")]
    ready = all(c["ready"] for c in caps.values()) and all(d["ready"] for d in deps.values())
    body = {"status": "ready" if ready else "degraded", "capabilities": caps, "dependencies": deps}
    if missing:
        body["missing"] = missing
    return jsonify(body), 503 if missing else 200


def dependencies() -> dict[str, dict]:
    """The database and Redis: whether each answers, what needs it, and what goes on without it."""
    s = settings()
    app = current_app
    uses = (["jobs"] if s.jobs else []) + (["api keys"] if s.auth else []) + \
           (["result cache"] if s.cache_mode == "database" else [])
    deps: dict[str, dict] = {}
    if uses:
        error = Database.shared(s.database).ping()
        deps["database"] = {"ready": error is None, "url": redact(s.database), "used_for": uses}
        if error:
            deps["database"] |= {
                "reason": f"the database does not answer: {error}",
                "effect": "answered with 503: " + ", ".join(uses) + "; everything else keeps serving",
                "how_to_fix": "start the database server or fix TOMTAT_DATABASE_URL; the service reconnects by itself"}
    client = app.extensions.get("tomtat.redis")
    if client is not None:
        uses = [u for u, on in (("rate limits and quotas", s.limits_uri.startswith("redis")),
                                ("result cache", s.cache_mode == "redis")) if on]
        try:
            client.ping()
            error = None
        except Exception as exc:  # noqa: BLE001 - any failure to reach it is "not ready"
            error = " ".join(str(exc).split()) or type(exc).__name__
        deps["redis"] = {"ready": error is None, "used_for": uses}
        if error:
            deps["redis"] |= {
                "reason": f"Redis does not answer: {error}",
                "effect": "rate limits and quotas are counted by each replica alone and results are not cached "
                          "until Redis returns; requests keep being served",
                "how_to_fix": "start Redis or fix TOMTAT_REDIS_URL; the service reconnects by itself"}
    return deps
