#!/usr/bin/env bash
# Publishes the Action's table after pin-action.sh: .github/scripts/commit-pin.sh VERSION BRANCH
#
# Commits action/releases.sha256 (when it changed) on BRANCH, pushes it, and moves the
# major tag vMAJOR to that commit, so `uses: vouch-dev/vouch/action@vMAJOR` installs
# the release just published.
set -euo pipefail
version="${1:?usage: commit-pin.sh VERSION BRANCH}"
branch="${2:?usage: commit-pin.sh VERSION BRANCH}"
version="${version#v}"
major="v${version%%.*}"
git config user.name "github-actions[bot]"
git config user.email "41898282+github-actions[bot]@users.noreply.github.com"
git add action/releases.sha256
if ! git diff --cached --quiet; then
  git commit --quiet -m "action: pin vouch v$version's binaries in the Action's table"
fi
git push --quiet origin "HEAD:refs/heads/$branch"
git tag -f "$major" >/dev/null
git push --quiet --force origin "refs/tags/$major"
echo "action/releases.sha256 pinned on $branch at $(git rev-parse HEAD); $major moved there"
