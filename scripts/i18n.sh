#!/usr/bin/env bash
# Extract the UI strings of our code (babel.cfg over app/ and seed/) and of the installed
# Flask-AppBuilder (its python files, its jinja2 templates and the msgids of its shipped catalog),
# merge them into translations/messages.pot and update (or create) the Arabic catalog
# translations/ar/LC_MESSAGES/messages.po, keeping existing translations.
# Used by `make extract-messages`; tests/core/test_i18n_catalog.py runs the same extraction of our code.
set -euo pipefail

cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$PWD/.venv/bin/python}
POT=translations/messages.pot
LOCALE=ar
PO=translations/$LOCALE/LC_MESSAGES/messages.po
# The common gettext plural rule for Arabic (Babel's own table orders forms 4 and 5 differently).
PLURAL_FORMS='nplurals=6; plural=(n==0 ? 0 : n==1 ? 1 : n==2 ? 2 : n%100>=3 \&\& n%100<=10 ? 3 : n%100>=11 ? 4 : 5);'
KEYWORDS=(-k _ -k gettext -k ngettext:1,2 -k lazy_gettext -k _l)
EXTRACT_OPTS=(--no-wrap --sort-output --project=lms --version=0.1.0 --copyright-holder=lms)

pybabel() { "$PYTHON" -m babel.messages.frontend "$@"; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 1. Our strings. Paths in babel.cfg are relative to the repo root; the walk skips .venv, node_modules...
pybabel -q extract -F babel.cfg --ignore-dirs=".* _* node_modules" "${KEYWORDS[@]}" "${EXTRACT_OPTS[@]}" \
  -o "$tmp/ours.pot" .

# 2. Flask-AppBuilder's strings, from the installed package (locations read flask_appbuilder/...).
fab_dir=$("$PYTHON" -c "import flask_appbuilder, os; print(os.path.dirname(flask_appbuilder.__file__))")
cat >"$tmp/fab.cfg" <<'EOF'
[python: **.py]

[jinja2: templates/**.html]
extensions = jinja2.ext.do
EOF
(cd "$(dirname "$fab_dir")" &&
  pybabel -q extract -F "$tmp/fab.cfg" "${KEYWORDS[@]}" "${EXTRACT_OPTS[@]}" \
    -o "$tmp/fab.pot" "$(basename "$fab_dir")")

# 3. FAB's shipped catalog lists its strings too (some only reach templates through variables).
fab_catalog=""
for candidate in "$fab_dir/translations/messages.pot" "$fab_dir/babel/messages.pot" \
  "$fab_dir/translations/pt/LC_MESSAGES/messages.po"; do
  if [ -f "$candidate" ]; then
    fab_catalog=$candidate
    break
  fi
done
[ -n "$fab_catalog" ] || { echo "i18n.sh: no catalog shipped with $fab_dir" >&2; exit 1; }

# 4. Merge: one entry per msgid, with the locations of both sources.
"$PYTHON" - "$tmp/ours.pot" "$tmp/fab.pot" "$fab_catalog" "$fab_dir" "$POT" <<'PY'
import os
import sys

from babel.messages.pofile import read_po, write_po

ours_path, fab_path, fab_catalog_path, fab_dir, out_path = sys.argv[1:]


def load(path):
    with open(path, "rb") as fileobj:
        return read_po(fileobj, ignore_obsolete=True)


merged = load(ours_path)
for message in load(fab_path):
    if message.id:
        merged.add(message.id, locations=message.locations, flags=message.flags - {"fuzzy"},
                   auto_comments=message.auto_comments)
# Catalog-only msgids keep their file name (their line numbers are stale), not their translation.
shipped = os.path.relpath(fab_catalog_path, os.path.dirname(fab_dir))
for message in load(fab_catalog_path):
    if message.id and merged.get(message.id) is None:
        files = sorted({filename for filename, _ in message.locations}) or [shipped]
        merged.add(message.id, locations=[(name, None) for name in files],
                   flags=message.flags & {"python-format"})
os.makedirs(os.path.dirname(out_path), exist_ok=True)
with open(out_path, "wb") as fileobj:
    write_po(fileobj, merged, width=None, sort_output=True)
print(f"{out_path}: {len(merged)} msgids", file=sys.stderr)
PY

# 5. The Arabic catalog: update keeps existing translations; no fuzzy guesses for new msgids.
if [ -f "$PO" ]; then
  pybabel -q update -i "$POT" -d translations -l "$LOCALE" --no-wrap --no-fuzzy-matching \
    --ignore-obsolete --ignore-pot-creation-date
else
  pybabel -q init -i "$POT" -d translations -l "$LOCALE" --no-wrap
fi
sed -i "s|^\"Plural-Forms: .*\\\\n\"$|\"Plural-Forms: $PLURAL_FORMS\\\\n\"|" "$PO"

# 6. What is left to translate.
"$PYTHON" - "$PO" <<'PY'
import sys

from babel.messages.pofile import read_po

with open(sys.argv[1], "rb") as fileobj:
    catalog = read_po(fileobj)
todo = [
    message.id
    for message in catalog
    if message.id
    and (message.fuzzy or not all(message.string if isinstance(message.string, tuple) else (message.string,)))
]
print(f"{sys.argv[1]}: {len(catalog)} msgids, {len(todo)} to translate", file=sys.stderr)
for msgid in todo:
    print(f"  {msgid!r}", file=sys.stderr)
PY
