# Sourced by the tests/setup-*.sh scripts: `as_root CMD…` runs CMD as root — directly when this is root,
# with passwordless sudo otherwise — and `can_be_root` says whether either is possible.
# TOMTAT_SETUP_UID: only for testing these scripts (behave as if running as that uid; no sudo then).
if [ "${TOMTAT_SETUP_UID:-$(id -u)}" -eq 0 ]; then
    as_root() { "$@"; }
    can_be_root() { true; }
elif [ -z "${TOMTAT_SETUP_UID:-}" ] && command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    as_root() { sudo -n "$@"; }
    can_be_root() { true; }
else
    as_root() { return 1; }
    can_be_root() { false; }
fi
