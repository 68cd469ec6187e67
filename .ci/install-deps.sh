#!/usr/bin/env bash
# Installs what kpi needs to build and test on Debian 12, from Debian's packages only.
#   build:  cmake ninja-build g++ + CLI11, fmt, nlohmann-json, date (time zones), fast_float
#   test:   catch2 (v2), libxml2-utils (xmllint validates the JUnit reports),
#           clang + libclang-rt-14-dev (libFuzzer and the sanitizer runtimes of the fuzz smoke pass),
#           clang-tidy (clang-tidy 14 and run-clang-tidy, the gate of .ci/clang-tidy.sh)
#   run:    tzdata (IANA zones for --tz)
set -euo pipefail
packages=(
  cmake ninja-build g++ pkg-config
  libcli11-dev libfmt-dev nlohmann-json3-dev libhowardhinnant-date-dev libfast-float-dev tzdata
  catch2 libxml2-utils clang libclang-rt-14-dev clang-tidy
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages already installed"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
