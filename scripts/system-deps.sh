#!/usr/bin/env bash
# Install the Debian packages the workbench needs: Chromium (browser tests of
# the Voila apps) and Noto CJK fonts (Chinese text in charts and screenshots).
# Does nothing when they are present; uses sudo when not run as root.
set -euo pipefail

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing+=(fonts-noto-cjk)
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "Missing system packages: ${missing[*]}. Install them with your system's package manager." >&2
    echo "缺少系统软件包：${missing[*]}。请用本机的软件包管理器安装。" >&2
    exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo="sudo"
    else
        echo "Missing ${missing[*]} and not root: run 'apt-get install ${missing[*]}' as root." >&2
        exit 1
    fi
fi

echo "Installing Debian packages: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
