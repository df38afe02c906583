# shellcheck shell=bash
# The API's integration tests (source it): the harness (common.sh), and
# helpers that talk to an API socket with curl as a Firecracker user would.
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
require curl

# The socket the helpers talk to, and the Content-Type of the bodies they
# send (a client's own: a bare `curl --data` sends
# application/x-www-form-urlencoded).
API_SOCK=
API_CONTENT_TYPE=application/json

# api METHOD PATH [BODY]: prints the response body, a space, the status.
api() {
	local args=(-s --max-time 30 --unix-socket "$API_SOCK" -X "$1"
		    -w ' %{http_code}' "http://localhost$2")
	[ $# -ge 3 ] && args+=(-H "Content-Type: $API_CONTENT_TYPE" -d "$3")
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
