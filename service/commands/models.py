"""``tomtat models list|pull|convert``."""

from __future__ import annotations

import sys
from pathlib import Path

from models import hub
from models.profiles import PROFILES, ModelProfile, ProfileError, resolve_profile


def register(subparsers) -> None:
    parser = subparsers.add_parser("models", help="list supported models, pull real weights")
    sub = parser.add_subparsers(dest="models_command", required=True)
    ls = sub.add_parser("list", help="the supported model profiles, their licenses and local state")
    ls.set_defaults(func=list_models)
    pull = sub.add_parser("pull", help="download real weights (on a machine with internet access)")
    pull.add_argument("names", nargs="*", help="profile names (default: the default summarizer and translator)")
    pull.add_argument("--to", type=Path, help="write each model to DIR/<org>__<name> instead of the HF cache")
    pull.add_argument("--if-online", action="store_true",
                      help="skip quietly (exit 0) when the Hub cannot be reached")
    pull.set_defaults(func=pull_models)
    convert = sub.add_parser("convert", help="convert models to CTranslate2 once (cached next to each model)")
    convert.add_argument("names", nargs="*",
                         help="profile names or model directories (default: TOMTAT_SUMMARY_MODEL and "
                              "TOMTAT_TRANSLATION_MODEL)")
    convert.add_argument("--quantization", default=None,
                         help="int8, int8_float16, float16, float32… (default TOMTAT_CT2_QUANTIZATION: int8 on "
                              "CPU, float16 on CUDA)")
    convert.add_argument("--device", default=None, help="cpu or cuda: picks the auto quantization")
    convert.add_argument("--profile", help="profile whose conventions apply to a model directory "
                         "(default: inferred from its config.json, as when serving)")
    convert.add_argument("--force", action="store_true", help="convert again even when cached")
    convert.set_defaults(func=convert_models)
    tokenize = sub.add_parser("tokenize", help="show the exact string and ids a model's tokenizer gets, line by line")
    tokenize.add_argument("file", help="a text file (one input a line) or - for stdin")
    tokenize.add_argument("--model", required=True, help="a profile name (in the local HF cache) or a model directory")
    tokenize.add_argument("--profile", help="profile whose conventions apply to a directory (default: the one a "
                          "directory named ORG__NAME is, else inferred from its config.json when one fits)")
    tokenize.add_argument("--task", choices=["summarization", "translation"],
                          help="which task's profile to infer for a directory (a T5 fits both: name one)")
    tokenize.set_defaults(func=tokenize_text)
    check = sub.add_parser("check", help="load a model directory the way serving does and report what is wrong")
    check.add_argument("model", help="a profile name (in the local HF cache) or a model directory")
    check.add_argument("--profile", help="profile whose conventions apply to a directory (default: the one a "
                       "directory named ORG__NAME is, else inferred from its config.json when one fits)")
    check.add_argument("--task", choices=["summarization", "translation"],
                       help="which task's profile to infer for a directory (a T5 fits both: name one)")
    check.add_argument("--no-generate", action="store_true", help="skip loading the weights and the tiny generation")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.set_defaults(func=check_model)


def list_models(args) -> int:
    rows = [("model", "task", "family", "license", "default", "cached")]
    for p in PROFILES.values():
        rows.append((p.id, p.task, p.family, p.license, "yes" if p.default else "", "yes" if hub.is_cached(p.id) else "no"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
    print("\nNon-commercial or copyleft: check the license before serving a model in a product.")
    return 0


def pull_models(args) -> int:
    names = args.names or [p.id for p in PROFILES.values() if p.default]
    unknown = [n for n in names if n not in PROFILES]
    if unknown:
        print(f"tomtat: unknown model(s): {', '.join(unknown)}; see `tomtat models list`", file=sys.stderr)
        return 2
    if not hub.hub_reachable():
        message = f"tomtat: the model hub ({hub.hub_endpoint()}) cannot be reached from this machine"
        if args.if_online:
            print(message + "; skipping the download (extractive summaries still work).", file=sys.stderr)
            return 0
        print(message + ". Pull on a connected machine with `tomtat models pull NAME --to DIR`, copy DIR "
              "here and set TOMTAT_SUMMARY_MODEL / TOMTAT_TRANSLATION_MODEL to the copied directories.",
              file=sys.stderr)
        return 1
    status = 0
    for name in names:
        try:
            path = hub.pull(name, args.to)
        except Exception as exc:  # noqa: BLE001 - report each model's failure and go on
            print(f"tomtat: pulling {name} failed: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"{name}: {path}")
    return status


def convert_models(args) -> int:
    from models.backends import ModelNotAvailable
    from models.backends.convert import convert
    from models.backends.ct2_backend import default_quantization, resolve_device
    from ..config import Settings

    settings = Settings.from_env()
    if args.names:
        wanted = [(name, None, args.profile) for name in args.names]
    else:
        wanted = [(settings.summary_model, "summarization", settings.summary_profile),
                  (settings.translation_model, "translation", settings.translation_profile)]
    try:
        device = resolve_device(args.device or settings.device)
    except ImportError:
        print("tomtat: ctranslate2 is not installed: pip install 'ctranslate2>=4.5,<5'", file=sys.stderr)
        return 1
    quantization = args.quantization or settings.ct2_quantization
    if quantization == "auto":
        quantization = default_quantization(device)
    status = 0
    for name, task, profile_name in wanted:
        try:
            # the profile decides the source-language template saved with the tokenizer (mBART/NLLB)
            profile = _profile_of(name, task, profile_name)
            path = convert(name, quantization, force=args.force, src_lang=profile.src_lang)
        except (ModelNotAvailable, ProfileError) as exc:
            fix = getattr(exc, "how_to_fix", "")
            print(f"tomtat: {name}: {exc}" + (f" ({fix})" if fix else ""), file=sys.stderr)
            status = 1
            continue
        except Exception as exc:  # noqa: BLE001 - report each model's failure and go on
            print(f"tomtat: converting {name} failed: {exc}", file=sys.stderr)
            status = 1
            continue
        print(f"{name}: {path} ({quantization})")
    return status


def _profile_of(name: str, task: str | None, profile_name: str | None, *, strict: bool = False) -> ModelProfile:
    """The profile of ``name`` for ``task``, or, with no task, for whichever task fits
    (``strict``: only when exactly one task does; a T5 directory fits both)."""
    if task:
        return resolve_profile(name, task, profile_name)
    found, errors = [], []
    for candidate in ("translation", "summarization"):
        try:
            found.append(resolve_profile(name, candidate, profile_name))
        except ProfileError as exc:
            errors.append(str(exc))
    ambiguous = any("several" in e for e in errors)
    if (strict and (len(found) > 1 or (found and ambiguous))) or (not found and ambiguous):
        names = ", ".join([p.id for p in found] + [e for e in errors if "several" in e])
        raise ProfileError(f"{name} fits more than one profile ({names}); name one with --profile or --task")
    if found:
        return found[0]
    if name not in PROFILES and not (Path(name) / "config.json").is_file():
        # each task's refusal is the same sentence with that task's profiles: say it once, with all of them
        raise ProfileError(f"{name!r} is neither a known profile ({', '.join(PROFILES)}) nor a local model "
                           "directory with a config.json")
    raise ProfileError("; ".join(dict.fromkeys(errors)))


def _problem(name: str, exc: Exception) -> int:
    fix = getattr(exc, "how_to_fix", "")
    print(f"tomtat: {name}: {exc}" + (f" ({fix})" if fix else ""), file=sys.stderr)
    return 1


def tokenize_text(args) -> int:
    import json

    from models.backends import ModelNotAvailable
    from models.checks import tokenize_line, tokenizer_model

    from .text import read_input

    try:
        model = tokenizer_model(args.model, _profile_of(args.model, args.task, args.profile, strict=True))
    except (ModelNotAvailable, ProfileError) as exc:
        return _problem(args.model, exc)
    try:
        text = read_input(args.file)
    except (OSError, UnicodeDecodeError) as exc:
        print(f"tomtat: cannot read {args.file}: {exc}", file=sys.stderr)
        return 1
    for line in text.splitlines():
        print(json.dumps(tokenize_line(model, line), ensure_ascii=False))
    return 0


def check_model(args) -> int:
    from models.checks import check_model as run_check, write_report

    from ..config import Settings

    try:
        profile = _profile_of(args.model, args.task, args.profile, strict=True)
    except ProfileError as exc:
        return _problem(args.model, exc)
    settings = Settings.from_env()
    device = settings.device if settings.device != "auto" else "cpu"
    report = run_check(args.model, profile, backend=settings.backend, device=device, threads=settings.threads or None,
                       quantization=settings.ct2_quantization, torch_dtype=settings.torch_dtype,
                       generate=not args.no_generate)
    print(write_report(report, args.json))
    return 0 if report.ok else 1
