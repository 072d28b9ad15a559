#!/usr/bin/env bash
# The translation catalogue (Flask-Babel; English is the source text). Run after changing wording:
#   bash scripts/i18n.sh            extract, update every language, compile (all three below)
#   bash scripts/i18n.sh extract    write ysdw_live/translations/messages.pot from babel.cfg's files
#   bash scripts/i18n.sh update     merge messages.pot into each ysdw_live/translations/<lang>/…/messages.po
#   bash scripts/i18n.sh compile    compile each messages.po into messages.mo (make setup does this)
#   bash scripts/i18n.sh init pl    start a new language from messages.pot
# messages.pot and the .po files are committed; the .mo files are built, never committed.
# Locations are file names without line numbers, sorted by message, so diffs stay small.
set -euo pipefail
cd "$(dirname "$0")/.."
PYBABEL="${PYBABEL:-.venv/bin/pybabel}"
DIR=ysdw_live/translations
POT="$DIR/messages.pot"

catalogues() {
  find "$DIR" -path '*/LC_MESSAGES/messages.po' 2>/dev/null | sort
}

extract() {
  mkdir -p "$DIR"
  "$PYBABEL" -q extract -F babel.cfg --no-wrap --sort-output --add-location=file \
    --project "YSWD Live" --copyright-holder "YSWD Live" -o "$POT" .
  # The creation date changes on every run; keep the committed file stable when nothing else changed.
  sed -i '/^"POT-Creation-Date: /d' "$POT"
  echo "Wrote $POT ($(grep -c '^msgid "[^"]' "$POT") messages)"
}

update() {
  if [ -n "$(catalogues)" ]; then
    "$PYBABEL" -q update -i "$POT" -d "$DIR" --no-wrap --ignore-obsolete --no-fuzzy-matching
    # As in extract: a date that changes on every run only makes noise in the diffs.
    catalogues | xargs sed -i '/^"POT-Creation-Date: /d'
  fi
}

compile() {
  local po
  for po in $(catalogues); do
    "$PYBABEL" compile --statistics -i "$po" -o "${po%.po}.mo"
  done
}

case "${1:-all}" in
  extract) extract ;;
  update) update ;;
  compile) compile ;;
  init)
    [ -n "${2:-}" ] || { echo "usage: bash scripts/i18n.sh init LANG (e.g. pl, ar, ur)"; exit 2; }
    "$PYBABEL" init -i "$POT" -d "$DIR" -l "$2" --no-wrap
    ;;
  all)
    extract
    update
    compile
    ;;
  *)
    echo "usage: bash scripts/i18n.sh [extract|update|compile|init LANG]"
    exit 2
    ;;
esac
