#!/usr/bin/env bash
# The log shippers the integration test (packages/core/test/shipping.test.ts) runs, from Debian's
# packages: syslog-ng installed, rsyslog unpacked into .cache/shippers/rsyslog (the two packages
# conflict, so only one can be installed; rsyslogd runs from where it is unpacked, its libraries
# installed). Idempotent. Never fails the build: whatever cannot be provided is said here, and
# the test skips it and says so again.
set -uo pipefail
cd "$(dirname "$0")/.."
rsyslog_dir=.cache/shippers/rsyslog

have_syslog_ng() { command -v syslog-ng >/dev/null || [ -x /usr/sbin/syslog-ng ]; }
have_rsyslog() { [ -x "$rsyslog_dir/usr/sbin/rsyslogd" ] || command -v rsyslogd >/dev/null || [ -x /usr/sbin/rsyslogd ]; }

if have_syslog_ng && have_rsyslog; then exit 0; fi
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
  echo "shippers: not root or no apt-get: the shipping tests will be skipped"
  exit 0
fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-get update -qq >/dev/null 2>&1; then
  echo "shippers: apt-get update failed: the shipping tests will be skipped"
  exit 0
fi

if ! have_syslog_ng; then
  # Installed as a program, not as the machine's logging service: its package must not start it.
  made_policy=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d && made_policy=1
  fi
  apt-get install -y -qq --no-install-recommends syslog-ng-core >/dev/null 2>&1 ||
    echo "shippers: syslog-ng-core could not be installed"
  [ "$made_policy" -eq 1 ] && rm -f /usr/sbin/policy-rc.d
fi

if ! have_rsyslog; then
  work=$(mktemp -d)
  if apt-get install -y -qq --no-install-recommends libestr0 libfastjson4 liblognorm5 >/dev/null 2>&1 &&
    (cd "$work" && chown _apt "$work" 2>/dev/null; apt-get download rsyslog >/dev/null 2>&1) &&
    mkdir -p "$rsyslog_dir" && dpkg -x "$work"/rsyslog_*.deb "$rsyslog_dir" &&
    "$rsyslog_dir/usr/sbin/rsyslogd" -v >/dev/null 2>&1; then
    :
  else
    echo "shippers: rsyslog could not be unpacked and run from $rsyslog_dir"
    rm -rf "$rsyslog_dir"
  fi
  rm -rf "$work"
fi
have_syslog_ng && echo "shippers: $(syslog-ng --version 2>/dev/null | head -1)"
have_rsyslog && echo "shippers: rsyslog available"
exit 0
