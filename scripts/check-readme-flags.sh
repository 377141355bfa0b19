#!/usr/bin/env bash
# Fails when README.md's flag table and `actorchat --help` disagree: the same
# flags, each with the same argument name and the same default.
#   scripts/check-readme-flags.sh build/actorchat README.md
# A default that is a path in the source tree (--www) is written
# `<source>/...` in the README.
set -euo pipefail
binary=$1
readme=$2
source_dir=$(cd "$(dirname "$readme")" && pwd)

# "--flag ARG<TAB>default" per line, sorted.
from_help() {
  "$binary" --help |
    grep -E '^  --[a-z]' | grep -v '^  --help ' |
    sed -E 's/^  (--[a-z-]+ [^ ]+) +.*\(default: (.*)\)$/\1\t\2/' |
    sed "s|${source_dir}/|<source>/|" |
    sort
}

# Rows of the table: | `--flag ARG` | default | meaning |  (a `|` inside a
# cell is written `\|`)
from_readme() {
  # shellcheck disable=SC2016 # backticks of Markdown, not a command
  grep -E '^\| `--[a-z-]+ [^`]+` \|' "$readme" |
    sed 's/\\|/\x01/g' |
    awk -F'|' '{
      flag = $2; def = $3
      gsub(/^ +| +$/, "", flag); gsub(/^ +| +$/, "", def)
      gsub(/`/, "", flag); gsub(/`/, "", def)
      print flag "\t" def
    }' |
    tr '\001' '|' |
    sort
}

help_rows=$(from_help)
readme_rows=$(from_readme)
if [[ -z "$help_rows" ]]; then
  echo "no flags in '$binary --help'" >&2
  exit 1
fi
if [[ "$help_rows" != "$readme_rows" ]]; then
  echo "README.md's flag table differs from '$binary --help'" >&2
  echo "(< --help, > README; flag ARG<TAB>default):" >&2
  diff <(echo "$help_rows") <(echo "$readme_rows") >&2 || true
  exit 1
fi
echo "README.md lists the $(echo "$help_rows" | wc -l) flags of --help"
