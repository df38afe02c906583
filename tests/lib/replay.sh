# shellcheck shell=bash
# Replays of real Firecracker clients against azote (source it): each
# tests/replay/*.replay file holds what one client does to Firecracker, read
# from its source (its launch argv, the files it prepares, its requests in
# order with the status Firecracker answers; the format is in
# tests/replay/README.md). replay_run plays one against azote, as the
# client would, with `firecracker` being $AZOTE:
#   replay_run FILE     one line per step (ok / known difference / FAIL)
#                       and a summary line for the client
#   replay_summary      the summary lines of every replay so far
# Every request must get Firecracker's status, except the known differences
# of REPLAY_KNOWN below; a known difference that no longer differs fails too,
# so that the list only shrinks.
#
# Set before replay_run: REPLAY_TAP, the TAP @TAP@ names; REPLAY_WRAP, a
# command azote runs under (the TAP's namespace: ip netns exec NS), may be
# empty; REPLAY_NETNS, the namespace's file (/run/netns/NS), @NETNS@ of a
# jailer's --netns; REPLAY_CONSOLE_SECS, how long a `console` step waits (90).
# AZOTE_REPLAY_EXTRA_ARGS, for diagnosis only: words added to every azote
# command line (then no longer the client's; e.g. "--seccomp log" to see
# how far a replay gets past a seccomp kill).
. "$(dirname "${BASH_SOURCE[0]}")/api.sh"

# Where azote answers otherwise than Firecracker, on purpose or for lack of
# a feature (docs/api.md, "Where azote differs"): "CLIENT:WHAT: REASON".
# CLIENT is the replay file's name less .replay; WHAT is "METHOD PATH" (PATH
# a shell pattern) for a request, or, for what keeps azote from starting
# with the client's own files, "config KEY" (a section of the client's
# --config-file: the replay drops it) or "empty image" (the empty drive
# images the client makes: the replay gives them one sector). The replay
# checks that each still keeps azote from starting (a config section must
# be named in azote's refusal), then launches with them worked around.
REPLAY_KNOWN=()

REPLAY_TAP=${REPLAY_TAP:-}
REPLAY_WRAP=()
REPLAY_SUMMARY=()
PY=/usr/bin/python3

# _replay_known CLIENT WHAT: prints the matching entry's pattern and reason
# (a tab between); status 1 when WHAT is no known difference of CLIENT.
_replay_known() {
	local e c rest pat
	for e in "${REPLAY_KNOWN[@]}"; do
		c=${e%%:*} rest=${e#*:}
		pat=${rest%%: *}
		# shellcheck disable=SC2053 # pat is a pattern
		if [ "$c" = "$1" ] && [[ $2 == $pat ]]; then
			printf '%s\t%s' "$pat" "${rest#*: }"
			return 0
		fi
	done
	return 1
}

# _replay_subst TEXT: TEXT with the placeholders replaced.
_replay_subst() {
	local s=$1 k
	for k in "${!_RP[@]}"; do
		s=${s//"@$k@"/"${_RP[$k]}"}
	done
	printf '%s' "$s"
}

# _replay_known_line TEXT: a known difference, counted as a check.
_replay_known_line() {
	echo "known difference: $*"
	CHECKS=$((CHECKS + 1))
}

# _replay_fail TEXT: a failed step (not a request).
_replay_fail() {
	fail "$_R_CLIENT: $*"
	_R_STEPFAIL=$((_R_STEPFAIL + 1))
}

# _replay_tail FILE: its last lines, on one line, for a message.
_replay_tail() {
	tail -n 3 "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-400
}

# _replay_ours PID: PID is a live child of this shell (not one that ended,
# whose number the system may have given to another process since).
_replay_ours() {
	local stat st ppid
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	read -r st ppid _ <<<"${stat##*) }"
	[ "$st" != Z ] && [ "$ppid" = "$$" ]
}

# _replay_alive PID: PID runs (not a zombie), whoever its parent: the azote a
# daemonized jailer leaves behind is no child of this shell.
_replay_alive() {
	local stat st
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	read -r st _ <<<"${stat##*) }"
	[ "$st" != Z ]
}

# _replay_running: azote runs; once it ended, its status is kept in _R_EXIT
# (call it from the test's shell, not from a $(...), to keep it). An azote
# not our child (_R_FOREIGN) ends with status "?".
_replay_running() {
	[ -n "$_R_PID" ] || return 1
	if [ -n "$_R_FOREIGN" ]; then
		_replay_alive "$_R_PID" && return 0
		_R_EXIT=${_R_EXIT:-?}
		return 1
	fi
	_replay_ours "$_R_PID" && return 0
	if [ -z "$_R_EXIT" ]; then
		wait "$_R_PID" 2>/dev/null
		_R_EXIT=$?
	fi
	return 1
}

# _replay_ended: how azote ended, as _replay_running saw it: its exit
# status, or the signal that killed it ("" while it runs).
_replay_ended() {
	[ -n "$_R_EXIT" ] || return 0
	if [ "$_R_EXIT" = "?" ]; then
		printf 'azote ended (daemonized: its status is not ours to see)'
	elif [ "$_R_EXIT" -gt 128 ] && [ "$_R_EXIT" -lt 160 ]; then
		printf 'azote ended with status %s (128 + SIG%s)' "$_R_EXIT" "$(kill -l $((_R_EXIT - 128)))"
	else
		printf 'azote exited with status %s' "$_R_EXIT"
	fi
}

# _replay_why: how azote ended, if it did, and what it said last: its
# stderr, what the FIFOs the client reads got and the log files it was
# given (where a logger writes).
_replay_why() {
	local f msg end
	end=$(_replay_ended)
	msg=$(_replay_tail "$_R_DIR/stderr")
	for f in ${_R_FIFOS[@]+"${_R_FIFOS[@]/%/.out}"} ${_R_LOGS[@]+"${_R_LOGS[@]}"}; do
		[ -f "$f" ] && [ -s "$f" ] && msg+="${msg:+; }${f##*/}: $(_replay_tail "$f")"
	done
	printf '%s%s' "${end:+$end; }" "${msg:-(nothing on stderr)}"
}

# _replay_end: ends what the replay started and still runs (azote, the FIFO
# readers); also at exit, should the test end in the middle of a replay.
_replay_end() {
	local p
	_replay_kill
	for p in ${_R_READERS[@]+"${_R_READERS[@]}"}; do
		_replay_ours "$p" && kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	_R_READERS=()
	_replay_unbind
}

# _replay_unbind: undoes the client's bind mounts (`bind` steps), last first.
_replay_unbind() {
	local i
	for ((i = ${#_R_BINDS[@]} - 1; i >= 0; i--)); do
		umount -l "${_R_BINDS[i]}" 2>/dev/null
	done
	_R_BINDS=()
}
_R_PID="" _R_FOREIGN="" _R_READERS=() _R_FIFOS=() _R_BINDS=()
at_exit _replay_end

# _replay_readers: (re)starts a reader on each FIFO the client reads, its
# output in FIFO.out (emptied): a reader ends with the azote that wrote.
_replay_readers() {
	local p f
	for p in ${_R_READERS[@]+"${_R_READERS[@]}"}; do
		_replay_ours "$p" && kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	_R_READERS=()
	for f in ${_R_FIFOS[@]+"${_R_FIFOS[@]}"}; do
		cat "$f" >"$f.out" 2>/dev/null &
		_R_READERS+=("$!")
	done
}

# _replay_kill: ends the azote this replay started, if it still runs.
_replay_kill() {
	local p i
	[ -n "$_R_PID" ] || return 0
	_replay_running && kill -KILL "$_R_PID" 2>/dev/null
	if [ -n "$_R_FOREIGN" ]; then
		for ((i = 0; i < 50; i++)); do _replay_alive "$_R_PID" || break; sleep 0.1; done
	else
		wait "$_R_PID" 2>/dev/null
	fi
	_R_PID="" _R_EXIT="" _R_FOREIGN=""
	# The readers end at the FIFO's end, once azote is gone: let them
	# write what they read.
	for p in ${_R_READERS[@]+"${_R_READERS[@]}"}; do
		for ((i = 0; i < 20; i++)); do
			_replay_ours "$p" || break
			sleep 0.1
		done
	done
}

# _replay_start SOCK ARGS...: starts azote with ARGS in the replay's
# directory (console and stderr appended to its files) and waits until it
# serves SOCK. Status 1 if it exited first (or after 20 s without a socket).
# With _R_PROG=jailer, ARGS are azote-jailer's (_replay_jailer).
_replay_start() {
	local sock=$1 i
	shift
	rm -f "$sock"
	_replay_readers
	local extra=()
	read -ra extra <<<"${AZOTE_REPLAY_EXTRA_ARGS:-}"
	if [ "$_R_PROG" = jailer ]; then
		_replay_jailer "$@" || return 1
	else
		(cd "$_R_DIR" && exec ${REPLAY_WRAP[@]+"${REPLAY_WRAP[@]}"} "$AZOTE" "$@" \
			${extra[@]+"${extra[@]}"} </dev/null >>"$_R_DIR/console" 2>>"$_R_DIR/stderr") &
		_R_PID=$! _R_EXIT="" _R_FOREIGN=""
	fi
	for ((i = 0; i < 200; i++)); do
		[ -S "$sock" ] && return 0
		_replay_running || return 1
		sleep 0.1
	done
	return 1
}

# _replay_jailed_pid: the pid of the process running the exec file in the
# chroot _R_JROOT, found from outside (its root is that directory, its
# name the exec file's; azote's cards have other names), or nothing.
_replay_jailed_pid() {
	local want p
	want=$(stat -L -c %d:%i "$_R_JROOT") || return
	for p in /proc/[0-9]*; do
		[ "$(cat "$p/comm" 2>/dev/null)" = "${_R_JNAME:0:15}" ] || continue
		[ "$(stat -L -c %d:%i "$p/root" 2>/dev/null)" = "$want" ] || continue
		_replay_alive "${p#/proc/}" && echo "${p#/proc/}" && return
	done
}

# _replay_jail_holder DEV:INO: "comm pid" of the jailed azote or one of its
# children (the cards: as root, azote has them confine themselves to an
# empty root of their own) that has that file open, or nothing.
_replay_jail_holder() {
	local want=$1 top p f pids stat
	top=$(_replay_jailed_pid)
	[ -n "$top" ] || return
	pids=("$top")
	for p in /proc/[0-9]*; do
		stat=$(cat "$p/stat" 2>/dev/null) || continue
		read -r _ f _ <<<"${stat##*) }"
		[ "$f" = "$top" ] && pids+=("${p#/proc/}")
	done
	for p in "${pids[@]}"; do
		for f in /proc/"$p"/fd/*; do
			if [ "$(stat -L -c %d:%i "$f" 2>/dev/null)" = "$want" ]; then
				echo "$(cat "/proc/$p/comm" 2>/dev/null) $p"
				return
			fi
		done
	done
}

# _replay_jailer ARGS...: runs azote-jailer with ARGS (the client's own: the
# network namespace is its --netns, no REPLAY_WRAP); its output and azote's
# go to the replay's console and stderr files. Without --daemonize the
# jailer becomes azote (the same process); with it, the jailer must exit 0
# and azote is found in the chroot (_replay_jailed_pid), not our child.
_replay_jailer() {
	local i p extra=()
	read -ra extra <<<"${AZOTE_REPLAY_EXTRA_ARGS:-}"
	(cd "$_R_DIR" && exec "$BUILD/azote-jailer" "$@" ${extra[@]+"${extra[@]}"} \
		</dev/null >>"$_R_DIR/console" 2>>"$_R_DIR/stderr") &
	_R_PID=$! _R_EXIT="" _R_FOREIGN=""
	_replay_has_word --daemonize "$@" || return 0
	for ((i = 0; i < 200; i++)); do
		_replay_running || break
		sleep 0.1
	done
	if [ "$_R_EXIT" != 0 ]; then
		echo "azote-jailer --daemonize: $(_replay_ended | sed 's/^azote/the jailer/'), not 0 as Firecracker's jailer once its daemon runs" >>"$_R_DIR/stderr"
		return 1
	fi
	_R_FOREIGN=1 _R_EXIT="" _R_PID=""
	for ((i = 0; i < 200; i++)); do
		p=$(_replay_jailed_pid)
		[ -n "$p" ] && { _R_PID=$p; return 0; }
		sleep 0.1
	done
	echo "no $_R_JNAME runs in $_R_JROOT after the jailer detached" >>"$_R_DIR/stderr"
	return 1
}

# _replay_has_word WORD ARGS...: WORD is one of ARGS.
_replay_has_word() {
	local w=$1 a
	shift
	for a in "$@"; do [ "$a" = "$w" ] && return 0; done
	return 1
}

# _replay_config_drop FILE KEY...: removes the sections KEY from the JSON
# config FILE.
_replay_config_drop() {
	"$PY" -c 'import json, sys
c = json.load(open(sys.argv[1]))
for k in sys.argv[2:]:
    c.pop(k, None)
json.dump(c, open(sys.argv[1], "w"))' "$@"
}

# _replay_workarounds: the client's known differences that keep azote from
# starting with the client's own files, as "WHAT<tab>REASON" lines: "config
# KEY" (the replay drops the section KEY of the config file) and "empty
# image" (the empty images the client makes get one sector, 512 bytes).
_replay_workarounds() {
	local e what
	for e in "${REPLAY_KNOWN[@]}"; do
		[ "${e%%:*}" = "$_R_CLIENT" ] || continue
		e=${e#*:} what=${e%%: *}
		case $what in
		"config "* | "empty image") printf '%s\t%s\n' "$what" "${e#*: }" ;;
		esac
	done
}

# _replay_prepare CONFIG SKIP WHAT...: the files of the launch with the
# workarounds WHAT applied but SKIP: CONFIG (if any) from the client's
# text, less the sections dropped; the client's empty images, one sector
# long or empty.
_replay_prepare() {
	local config=$1 skip=$2 w drops=() size=0 f
	shift 2
	for w in "$@"; do
		[ "$w" != "$skip" ] || continue
		case $w in
		"config "*) drops+=("${w#config }") ;;
		"empty image") size=512 ;;
		esac
	done
	if [ -n "$config" ]; then
		printf '%s\n' "$_R_CONFIG" >"$config"
		[ ${#drops[@]} -eq 0 ] || _replay_config_drop "$config" "${drops[@]}"
	fi
	for f in ${_R_EMPTY[@]+"${_R_EMPTY[@]}"}; do
		rm -f "$f" && truncate -s "$size" "$f"
	done
}

# _replay_serves SOCK: azote, just started, answers GET / with 200 (a VM a
# config file describes has booted by then) within 30 s.
_replay_serves() {
	local i out
	for ((i = 0; i < 60; i++)); do
		_replay_running || return 1
		out=$(API_SOCK=$1 api GET /)
		[ "${out##* }" = 200 ] && return 0
		sleep 0.5
	done
	return 1
}

# _replay_argv WORDS...: the `argv` step. Known differences that keep azote
# from starting with the client's files are checked first, each alone
# (azote must still fail with it and the others worked around), then the
# launch has them all worked around.
_replay_argv() {
	local args=("$@") sock="" config="" i w what=() why=() msg ok f
	local id="" exec="" base=/srv/jailer fc=0 check=() run=("${@:2}")
	_R_PROG=${args[0]}
	case $_R_PROG in
	firecracker) fc=1 ;;
	jailer) ;;
	*)
		_replay_fail "argv: the program must be firecracker or jailer, not '${args[0]}'"
		return
		;;
	esac
	args=("${args[@]:1}")
	for ((i = 0; i < ${#args[@]}; i++)); do
		case ${args[i]} in
		--) fc=1 ;;
		esac
		# The jailer's options before "--", azote's after it.
		if [ "$fc" = 1 ]; then
			case ${args[i]} in
			--api-sock) sock=${args[i + 1]:-} ;;
			--config-file) config=${args[i + 1]:-} ;;
			esac
		else
			case ${args[i]} in
			--id) id=${args[i + 1]:-} ;;
			--exec-file) exec=${args[i + 1]:-} ;;
			--chroot-base-dir) base=${args[i + 1]:-} ;;
			esac
		fi
	done
	if [ "$_R_PROG" = jailer ]; then
		# Where the client looks: <base>/<exec file's name>/<id>/root, the
		# socket and config there (Firecracker's default socket without
		# --api-sock; a relative path is relative to the jail's /).
		_R_JNAME=${exec##*/} _R_JROOT=$base/${exec##*/}/$id/root
		sock=$_R_JROOT/${sock:-/run/firecracker.socket}
		[ -z "$config" ] || config=$_R_JROOT/$config
		# The known differences are checked without --daemonize, so that
		# azote's refusal can be read.
		for w in "${args[@]}"; do [ "$w" = --daemonize ] || check+=("$w"); done
		run=("${check[@]}")
	elif [ -z "$sock" ]; then
		_replay_fail "argv: no --api-sock: nothing to replay requests on"
		return
	fi
	[[ $sock == /* ]] || sock=$_R_DIR/$sock
	API_SOCK=$sock
	if [ -n "$config" ]; then
		[[ $config == /* ]] || config=$_R_DIR/$config
		_R_CONFIG=$(<"$config")
	fi
	while IFS=$'\t' read -r w msg; do
		[ -n "$w" ] || continue
		what+=("$w") why+=("$msg")
	done < <(_replay_workarounds)
	for i in "${!what[@]}"; do
		w=${what[i]}
		_replay_prepare "$config" "$w" "${what[@]}"
		: >"$_R_DIR/stderr"
		if _replay_start "$sock" "${run[@]}" && _replay_serves "$sock"; then
			_replay_kill
			_replay_fail "$w: azote now starts as Firecracker does: remove '$_R_CLIENT:$w' from REPLAY_KNOWN"
			continue
		fi
		_replay_running
		msg=$(_replay_why)
		_replay_kill
		# What the check left in the jail that the client's run would not find.
		[ -z "$_R_JROOT" ] || rm -f "$_R_JROOT/$_R_JNAME.pid"
		# azote's message must name what it refuses: the section, or one of
		# the empty images.
		ok=0
		case $w in
		"config "*) [[ $msg == *"${w#config }"* ]] && ok=1 ;;
		"empty image")
			for f in ${_R_EMPTY[@]+"${_R_EMPTY[@]}"}; do
				[[ $msg == *"${f##*/}"* ]] && ok=1
			done
			;;
		esac
		if [ "$ok" = 0 ]; then
			_replay_fail "$w: azote does not start, but its message does not name what the known difference says: $msg"
			continue
		fi
		_replay_known_line "$_R_CLIENT $w -> azote does not start (Firecracker does): ${why[i]} [azote: $msg]; the replay works around it"
		_R_KNOWN_LAUNCH=$((_R_KNOWN_LAUNCH + 1))
	done
	_replay_prepare "$config" "" ${what[@]+"${what[@]}"}
	: >"$_R_DIR/stderr"
	_R_LAUNCHED=1
	if _replay_start "$sock" "${args[@]}"; then
		pass "$_R_CLIENT: launched: $_R_PROG ${args[*]}"
	else
		_replay_fail "launch: $_R_PROG ${args[*]}: azote did not serve $sock: $(_replay_why)"
	fi
}

# _replay_request METHOD PATH STATUS [REST]: a request step.
_replay_request() {
	local method=$1 path=$2 want=$3 rest=${4:-} body="" regex="" got resp fault
	local what="$1 $2" known why="" label out="" f
	_R_REQS=$((_R_REQS + 1))
	label="$_R_CLIENT #$_R_REQS $what"
	if [[ $rest == '=~ '* ]]; then regex=${rest#'=~ '}; else body=$rest; fi
	if [ "$what" = "PUT /logger" ] && [[ $body =~ \"log_path\"\ *:\ *\"([^\"]*)\" ]]; then
		f=${BASH_REMATCH[1]}
		[[ $f == /* ]] || f=$_R_DIR/$f
		_R_LOGS+=("$f")
	fi
	got=none resp="" fault=""
	if _replay_running; then
		if [ -n "$body" ]; then
			out=$(api "$method" "$path" "$body")
		else
			out=$(api "$method" "$path")
		fi
		got=${out##* } resp=${out% *}
		[ "$got" != 000 ] || got=none
		fault=$(sed -n 's/.*"fault_message" *: *"\(.*\)".*/\1/p' <<<"$resp")
	fi
	if [ "$got" != "$want" ]; then
		why="$got, Firecracker answers $want"
	elif [ -n "$regex" ] && ! grep -Eq -- "$regex" <<<"$resp"; then
		why="$got, but its body does not match '$regex' as Firecracker's does: ${resp:0:300}"
	fi
	if [ "$got" = none ] && _replay_running; then
		fail "$label -> no answer on $API_SOCK, Firecracker answers $want"
		_R_FAIL=$((_R_FAIL + 1))
	elif [ "$got" = none ]; then
		fail "$label -> no answer, Firecracker answers $want: azote is not running: $(_replay_why)"
		_R_FAIL=$((_R_FAIL + 1))
	elif known=$(_replay_known "$_R_CLIENT" "$what"); then
		if [ -z "$why" ]; then
			fail "$label -> $got as Firecracker: the known difference is gone; remove '$_R_CLIENT:${known%%$'\t'*}' from REPLAY_KNOWN"
			_R_FAIL=$((_R_FAIL + 1))
		else
			_replay_known_line "$label -> $why: ${known#*$'\t'}${fault:+ [azote: $fault]}"
			_R_KNOWN=$((_R_KNOWN + 1))
		fi
	elif [ -z "$why" ]; then
		pass "$label -> $got"
		_R_MATCH=$((_R_MATCH + 1))
	else
		fail "$label -> $why${fault:+; azote: $fault}"
		_R_FAIL=$((_R_FAIL + 1))
	fi
}

# _replay_step LINE: one line of the file (placeholders replaced).
_replay_step() {
	local line=$1 word rest a b i st out words
	read -r word rest <<<"$line"
	case $word in
	GET | PUT | PATCH | DELETE)
		read -r a b rest <<<"$rest"
		_replay_request "$word" "$a" "$b" "$rest"
		;;
	guest) _RP[GUEST_ARGS]=$rest ;;
	content-type) API_CONTENT_TYPE=$rest ;;
	mkdir) mkdir -p "$rest" ;;
	image)
		read -r a b <<<"$rest"
		if [ "$b" = 0 ]; then
			# Before the launch: _replay_argv may work around it.
			[ -n "$_R_LAUNCHED" ] || _R_EMPTY+=("$a")
			_replay_workarounds | grep -q '^empty image' && b=512
		fi
		if ! { rm -f "$a" && truncate -s "$b" "$a"; }; then
			_replay_fail "image $rest: could not be made"
		fi
		;;
	fifo)
		read -r a b <<<"$rest"
		rm -f "$a"
		mkfifo "$a" || { _replay_fail "fifo $a: could not be made"; return; }
		if [ "$b" = read ]; then
			_R_FIFOS+=("$a")
			[ -z "$_R_LAUNCHED" ] || _replay_readers
		fi
		;;
	file)
		read -r a b <<<"$rest"
		printf '%s\n' "$b" >"$a"
		;;
	exec)
		a=${rest%% =~ *} b=${rest#* =~ }
		read -ra words <<<"$a"
		out=$("$AZOTE" "${words[@]}" </dev/null 2>&1 | head -n 1)
		if grep -Eq -- "$b" <<<"$out"; then
			pass "$_R_CLIENT: firecracker $a -> '$out'"
		else
			_replay_fail "firecracker $a -> '$out', Firecracker's first line matches '$b'"
		fi
		;;
	argv)
		read -ra words <<<"$rest"
		_replay_argv "${words[@]}"
		;;
	console)
		for ((i = 0; i < ${REPLAY_CONSOLE_SECS:-90} * 10; i++)); do
			grep -Eq -- "$rest" "$_R_DIR/console" 2>/dev/null && break
			_replay_running || { i=-1; break; }
			sleep 0.1
		done
		if grep -Eq -- "$rest" "$_R_DIR/console" 2>/dev/null; then
			pass "$_R_CLIENT: the guest says: $(grep -Em1 -- "$rest" "$_R_DIR/console" | cut -c1-160)"
		else
			_replay_fail "console: no line matches '$rest': console: $(_replay_tail "$_R_DIR/console") azote: $(_replay_why)"
		fi
		;;
	stop)
		if ! _replay_running; then
			_replay_fail "stop: azote had already ended: $(_replay_why)"
			_replay_kill
			return
		fi
		kill -TERM "$_R_PID"
		for ((i = 0; i < 100; i++)); do
			_replay_running || break
			sleep 0.1
		done
		if _replay_running; then
			_replay_fail "stop: azote did not exit within 10 s of SIGTERM"
		else
			pass "$_R_CLIENT: SIGTERM: $(_replay_ended)"
		fi
		_replay_kill
		;;
	bind)
		# Kata's bindMount: DST made if missing (a directory for a
		# directory), SRC bound on it, then DST's propagation set.
		read -r a b i <<<"$rest"
		if [ -d "$a" ]; then mkdir -p "$b"; else [ -e "$b" ] || : >"$b"; fi
		if mount --bind "$a" "$b" && mount "--make-$i" "$b"; then
			_R_BINDS+=("$b")
		else
			_replay_fail "bind $rest: could not be mounted"
		fi
		;;
	unbind)
		# Kata's umountResource: the bind at PATH detached (MNT_DETACH, as
		# Kata: the block card still holds the file until the PATCH).
		if umount -l "$rest"; then
			for i in "${!_R_BINDS[@]}"; do
				[ "${_R_BINDS[i]}" != "$rest" ] || unset '_R_BINDS[i]'
			done
			_R_BINDS=(${_R_BINDS[@]+"${_R_BINDS[@]}"})
		else
			_replay_fail "unbind $rest: could not be unmounted"
		fi
		;;
	link) read -r a b <<<"$rest" && { ln "$a" "$b" || _replay_fail "link $rest: failed"; } ;;
	chown) read -r a b <<<"$rest" && { chown "$b" "$a" || _replay_fail "chown $rest: failed"; } ;;
	owner)
		# PATH is UID:GID's, of the type and mode given (stat's %F %a).
		read -r a b i <<<"$rest"
		out=$(stat -c '%u:%g %F %a' "$a" 2>&1)
		if [ "$out" = "$b $i" ]; then
			pass "$_R_CLIENT: ${a#"$_R_DIR"/}: $out"
		else
			_replay_fail "owner: ${a#"$_R_DIR"/} is '$out', the client expects '$b $i'"
		fi
		;;
	pidfile)
		# The client reads the pid of the process running the exec file
		# here: it must be azote's, as found in the chroot from outside.
		st=$(cat "$rest" 2>/dev/null)
		a=$(_replay_jailed_pid)
		if [ -n "$a" ] && [ "$st" = "$a" ]; then
			pass "$_R_CLIENT: ${rest#"$_R_DIR"/} holds $st, the pid of $_R_JNAME in the jail"
		else
			_replay_fail "pidfile: ${rest#"$_R_DIR"/} holds '$st'; $_R_JNAME in the jail is '${a:-not running}'"
		fi
		;;
	opens)
		# The jailed azote or one of its cards holds PATH open, PATH as
		# the host sees it: what the client bound into the jail reached
		# the VM (a daemonized azote's console is /dev/null: no `console`).
		a=$(stat -L -c %d:%i "$rest" 2>/dev/null)
		b=$(_replay_jail_holder "$a")
		for ((i = 0; i < 10 && ${#b} == 0; i++)); do sleep 0.5; b=$(_replay_jail_holder "$a"); done
		if [ -n "$a" ] && [ -n "$b" ]; then
			pass "$_R_CLIENT: ${rest##*/} is open in the jail ($b)"
		else
			_replay_fail "opens: no process of the jail holds ${rest##*/} open"
		fi
		;;
	jailed)
		# azote runs as UID:GID (real, effective, saved, fs), the chroot
		# its root, in the network namespace NETNS.
		read -r a b <<<"$rest"
		i=$(_replay_jailed_pid)
		st=$(cat "/proc/$i/status" 2>/dev/null)
		out="uid $(awk '/^Uid:/ { print $2 "," $3 "," $4 "," $5 }' <<<"$st") gid $(awk '/^Gid:/ { print $2 "," $3 "," $4 "," $5 }' <<<"$st")"
		out+=" netns $(stat -L -c %i "/proc/$i/ns/net" 2>/dev/null)"
		words="uid ${a%%:*},${a%%:*},${a%%:*},${a%%:*} gid ${a#*:},${a#*:},${a#*:},${a#*:} netns $(stat -L -c %i "$b")"
		if [ -n "$i" ] && [ "$out" = "$words" ]; then
			pass "$_R_CLIENT: $_R_JNAME (pid $i) runs in the jail: $out"
		else
			_replay_fail "jailed: $_R_JNAME (pid ${i:-none}): '$out', the client expects '$words'"
		fi
		;;
	cleanup)
		# Kata's cleanupJail: its binds undone, the jail root unmounted,
		# DIR removed; nothing may stay mounted under it nor be left.
		_replay_unbind
		if rm -rf "$rest" && [ ! -e "$rest" ] && ! grep -qF " $rest/" /proc/self/mounts; then
			pass "$_R_CLIENT: ${rest#"$_R_DIR"/} removed, nothing left mounted in it"
		else
			_replay_fail "cleanup: ${rest#"$_R_DIR"/} could not be removed whole: $(ls -A "$rest" 2>&1 | head -5 | tr '\n' ' ')"
		fi
		;;
	*) _replay_fail "unknown step '$word'" ;;
	esac
}

# _replay_jail_places: the placeholders of a jailed launch. azote is
# installed as the clients install Firecracker, as `firecracker` (Kata
# reads <chroot>/firecracker.pid: the exec file must have that name), its
# cards beside it; the chroot base is in the replay's directory, on the
# same file system as the client's files (the go-sdk hard-links them).
_replay_jail_places() {
	local bin=$_R_DIR/bin v2 cpus="" base
	mkdir -p "$bin"
	cp "$AZOTE" "$bin/firecracker"
	cp "$BUILD"/azote-card-* "$bin/"
	# The socket's path must fit a sun_path (108 bytes), as the clients'
	# /srv/jailer/firecracker/<id>/root/run/firecracker.socket does: the
	# base is short, beside $TMP (the same file system, for hard links).
	base=$(mktemp -d "${TMP%/*}/rj.XXXXXX") && at_exit "rm -rf '$base'"
	_RP[FC]=$bin/firecracker _RP[BASE]=$base
	_RP[VM]=$base/firecracker/${_RP[ID]} _RP[JAIL]=$base/firecracker/${_RP[ID]}/root
	_RP[NETNS]=${REPLAY_NETNS:-} _RP[PARENT_CGROUP]=azote-replay-$$
	# The go-sdk's WithNumaNode(0) (jailer.go Args): node 0's CPUs, when
	# the host has NUMA nodes. Its cgroup version is the client's choice:
	# 2 where cgroup2 has cpuset (the box), else 1.
	[ -r /sys/devices/system/node/node0/cpulist ] && cpus=$(cat /sys/devices/system/node/node0/cpulist)
	_RP[NUMA_CGROUPS]=${cpus:+--cgroup cpuset.mems=0 --cgroup cpuset.cpus=$cpus}
	v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
	if [ -n "$v2" ] && grep -qw cpuset "$v2/cgroup.controllers" 2>/dev/null; then
		_RP[CGROUP_VERSION]=2
	else
		_RP[CGROUP_VERSION]=1
	fi
}

# _replay_cgroups_end: removes the cgroups the jailer made for the replays.
_replay_cgroups_end() {
	local m
	for m in $(awk '$3 ~ /^cgroup2?$/ { print $2 }' /proc/mounts); do
		[ -d "$m/azote-replay-$$" ] || continue
		rmdir "$m/azote-replay-$$"/* "$m/azote-replay-$$" 2>/dev/null
	done
}
at_exit _replay_cgroups_end

# replay_run FILE: plays FILE against azote.
replay_run() {
	local file=$1 line n=0
	_R_CLIENT=$(basename "$file" .replay)
	_R_DIR=$TMP/replay-$_R_CLIENT
	_R_PID="" _R_EXIT="" _R_LAUNCHED="" _R_LOGS=() _R_READERS=() _R_FIFOS=() _R_REQS=0 _R_MATCH=0 _R_KNOWN=0 _R_FAIL=0 _R_STEPFAIL=0
	_R_KNOWN_LAUNCH=0 _R_EMPTY=() _R_CONFIG="" _R_PROG="" _R_JROOT="" _R_JNAME="" _R_BINDS=()
	rm -rf "$_R_DIR"
	mkdir -p "$_R_DIR"
	cp "$PROBE_ELF" "$_R_DIR/vmlinux"
	truncate -s 64M "$_R_DIR/rootfs.ext4"
	declare -gA _RP=(
		[DIR]=$_R_DIR [SOCK]=$_R_DIR/api.sock [KERNEL]=$_R_DIR/vmlinux
		[ROOTFS]=$_R_DIR/rootfs.ext4 [TAP]=$REPLAY_TAP [GUEST_ARGS]=""
		[ID]=$(cat /proc/sys/kernel/random/uuid)
	)
	_replay_jail_places
	API_CONTENT_TYPE=application/json
	echo "--- replay $_R_CLIENT ($file)"
	[ -z "${AZOTE_REPLAY_EXTRA_ARGS:-}" ] ||
		echo "note: azote also gets '$AZOTE_REPLAY_EXTRA_ARGS' (AZOTE_REPLAY_EXTRA_ARGS): not the client's command line"
	while IFS= read -r line <&3; do
		n=$((n + 1))
		[[ $line =~ ^[[:space:]]*(#|$) ]] && continue
		line=$(_replay_subst "$line")
		if [[ $line =~ @[A-Z_]+@ ]]; then
			_replay_fail "$file:$n: unknown placeholder ${BASH_REMATCH[0]}"
			continue
		fi
		_replay_step "$line"
	done 3<"$file"
	_replay_end
	API_CONTENT_TYPE=application/json
	REPLAY_SUMMARY+=("$_R_CLIENT: $_R_REQS requests: $_R_MATCH as Firecracker, $_R_KNOWN known difference(s), $_R_FAIL failed; known differences at launch: $_R_KNOWN_LAUNCH; other steps failed: $_R_STEPFAIL")
	echo "--- ${REPLAY_SUMMARY[-1]}"
	[ $((_R_FAIL + _R_STEPFAIL)) -eq 0 ]
}

replay_summary() {
	echo "--- replays:"
	printf '  %s\n' "${REPLAY_SUMMARY[@]}"
}
