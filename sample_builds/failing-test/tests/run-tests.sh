#!/bin/sh
# A tiny fake test runner: a few passing tests, then one failure (exit 1).
echo "============================= test session starts =============================="
echo "collected 6 items"
for t in test_health test_login test_logout test_profile test_search; do
    sleep 0.3
    echo "tests/test_app.py::$t PASSED"
done
sleep 0.4
echo "tests/test_app.py::test_checkout FAILED"
echo "E   AssertionError: expected status 200, got 500" >&2
echo "E   at tests/test_app.py:87 in test_checkout" >&2
echo "========================= 1 failed, 5 passed in 1.93s =========================="
exit 1
