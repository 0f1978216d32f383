#!/bin/sh
# CTest's entry to the gateway test: skipped (exit 77) only when Apache httpd or
# mod_auth_openidc is not installed, with the reason; otherwise the test itself decides.
#   run_gateway_test.sh TEST_BINARY [CATCH_ARGS...]
for f in /usr/sbin/apache2 /usr/lib/apache2/modules/mod_auth_openidc.so; do
  if [ ! -e "$f" ]; then
    echo "SKIPPED: $f is missing: Apache httpd with mod_auth_openidc is not installed" \
         "(scripts/setup.sh installs apache2 and libapache2-mod-auth-openidc)"
    # In CI the set-up installs both: a missing one there is a failure, never a skip.
    [ "${CI:-}" = true ] && exit 1
    exit 77
  fi
done
exec "$@"
