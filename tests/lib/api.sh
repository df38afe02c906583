# Helpers for the API's integration tests (source after common.sh): talk to
# an API socket with curl as a Firecracker user would.

# The socket the helpers talk to.
API_SOCK=

# api METHOD PATH [BODY]: prints the response body, a space, the status.
api() {
	local args=(-s --max-time 30 --unix-socket "$API_SOCK" -X "$1"
		    -w ' %{http_code}' "http://localhost$2")
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' -d "$3")
	curl "${args[@]}" || true
}

# api_expect STATUS SUBSTRING METHOD PATH [BODY]: the request answers
# STATUS with a body containing SUBSTRING; a 400 has Firecracker's error
# shape.
api_expect() {
	local want=$1 sub=$2; shift 2
	local out what="$*"
	what=${what:0:120}
	out=$(api "$@")
	if [[ "$out" != *" $want" ]]; then
		fail "$what -> '${out:0:300}', want status $want"
	elif [[ "$out" != *"$sub"* ]]; then
		fail "$what -> '${out:0:300}', want '$sub'"
	elif [ "$want" = 400 ] && [[ "$out" != '{"fault_message":"'* ]]; then
		fail "$what -> '${out:0:300}' is not Firecracker's error shape"
	else
		pass "$what -> $want"
	fi
}

# wait_socket PATH: until something listens there (10 s at most).
wait_socket() {
	for _ in $(seq 200); do [ -S "$1" ] && return 0; sleep 0.05; done
	fail "no API socket at $1"
	return 1
}

# wait_exit PID SECS: the process's exit status, 124 after SECS (it is then
# killed).
wait_exit() {
	local pid=$1 secs=$2
	for _ in $(seq $((secs * 10))); do
		kill -0 "$pid" 2>/dev/null || { wait "$pid"; return $?; }
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	return 124
}
