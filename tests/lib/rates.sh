# shellcheck shell=bash
# Checking the rates the host-side drivers measure (vublk-drv throughput,
# vunet-drv tx-rate and rx-rate print "TAG: B bytes/s O ops/s (...)" and,
# with a stats page, "TAG: the card was throttled N times"), for the rate
# limiter tests. Source it after common.sh.

# rate_of OUTPUT TAG UNIT: the number before UNIT (bytes/s or ops/s) on
# TAG's line of OUTPUT.
rate_of() {
	awk -v tag="$2:" -v unit="$3" '$1 == tag {
		for (i = 2; i < NF; i++) if ($(i + 1) == unit) { print $i; exit }
	}' <<<"$1"
}

# throttled_of OUTPUT TAG: how often the card said it was throttled.
throttled_of() {
	awk -v tag="$2:" '$1 == tag && /was throttled/ { print $(NF - 1); exit }' <<<"$1"
}

# expect_rate WHAT GOT WANT: GOT within 5% of WANT.
expect_rate() {
	if [ -n "$2" ] && awk -v g="$2" -v w="$3" 'BEGIN { exit !(g >= w * 0.95 && g <= w * 1.05) }'
	then
		pass "$1: $2, within 5% of $3"
	else
		fail "$1: got '$2', want $3 within 5%"
	fi
}

# expect_faster WHAT GOT LIMIT: GOT at least 3 times LIMIT: without the
# limit the card is clearly faster, so the limit is what was measured.
expect_faster() {
	if [ -n "$2" ] && awk -v g="$2" -v l="$3" 'BEGIN { exit !(g >= 3 * l) }'; then
		pass "$1: $2, more than 3 times $3"
	else
		fail "$1: got '$2', want more than 3 times $3"
	fi
}

# expect_throttled WHAT N: the card counted throttle events (N > 0).
expect_throttled() {
	if [ -n "$2" ] && [ "$2" -gt 0 ]; then
		pass "$1: $2 throttle events counted"
	else
		fail "$1: throttle events '$2', want some"
	fi
}
