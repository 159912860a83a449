"""Liveness and readiness probes."""

from __future__ import annotations

from flask import Blueprint, jsonify, request

from .http import runtime

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz():
    """Each capability's state, with the reason and fix when it is not ready.

    The service always serves extractive summaries, so it is ready (200) once its
    models are loaded or have failed to load; a deployment that needs a capability
    asks for it: ``/readyz?require=translation`` answers 503 until it is ready.
    """
    caps = {name: cap.as_dict() for name, cap in runtime().capabilities().items()}
    required = [c for c in request.args.get("require", "").split(",") if c]
    missing = [c for c in required if not caps.get(c, {}).get("ready")]
    status = "ready" if all(c["ready"] for c in caps.values()) else "degraded"
    body = {"status": status, "capabilities": caps}
    if missing:
        body["missing"] = missing
    return jsonify(body), 503 if missing else 200
