#!/usr/bin/env bash
# Check out every repository of bench/accuracy/repos.toml into DIR/<name> at its pinned commit.
#
#   bench/accuracy/fetch.sh DIR
#   URL_TEMPLATE='/srv/mirrors/{owner}+{repo}.git' bench/accuracy/fetch.sh DIR   # local mirrors
#
# URL_TEMPLATE (default https://github.com/{owner}/{repo}) is where each repository is cloned
# from; {owner} and {repo} come from the repository's url in repos.toml. Existing checkouts are
# moved to the pinned commit, not cloned again.
set -euo pipefail
dir=${1:?usage: fetch.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
template=${URL_TEMPLATE:-https://github.com/\{owner\}/\{repo\}}
mkdir -p "$dir"
python3 - "$here/repos.toml" <<'PY' | while IFS=$'\t' read -r name url commit; do
import sys, tomllib
for r in tomllib.load(open(sys.argv[1], "rb")).get("repo", []):
    print(r["name"], r["url"], r["commit"], sep="\t")
PY
  path=${url#https://github.com/}
  owner=${path%%/*}
  repo=${path#*/}
  src=${template//\{owner\}/$owner}
  src=${src//\{repo\}/$repo}
  if [ ! -d "$dir/$name/.git" ]; then
    git clone --quiet --no-checkout "$src" "$dir/$name"
  fi
  git -C "$dir/$name" -c advice.detachedHead=false checkout --quiet --force "$commit"
  echo "$name $(git -C "$dir/$name" rev-parse --short HEAD)"
done
