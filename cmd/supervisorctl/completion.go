package main

import (
	"fmt"
	"slices"
	"strings"
)

// Completion scripts for bash, zsh and fish. Their static part, the actions
// and what each takes, is written from the command table, so a new command
// is completed as soon as the table has it; process and group names are
// asked of the daemon at each Tab, by running the ctl's hidden __complete
// command with the -c, -s, -u and -p of the command line being completed.

// completionShells are the shells a script can be written for.
var completionShells = []string{"bash", "zsh", "fish"}

// completionSignals are the signal names offered to `signal`.
var completionSignals = []string{"HUP", "INT", "QUIT", "KILL", "TERM", "USR1", "USR2", "STOP", "CONT", "ALRM", "WINCH"}

// globalOptions are supervisorctl's own options.
var globalOptions = []string{"-c", "--configuration", "-h", "--help", "-i", "--interactive", "-s", "--serverurl",
	"-u", "--username", "-p", "--password", "-r", "--history-file"}

func (c *CLI) doCompletion(arg string) (bool, error) {
	words := fields(arg)
	if len(words) != 1 || !slices.Contains(completionShells, words[0]) {
		c.badArgs("Error: completion requires one of "+strings.Join(completionShells, ", "), helpCompletion)
		return false, nil
	}
	fmt.Fprint(c.out, completionScript(words[0]))
	return false, nil
}

func helpCompletion(c *CLI) {
	helpLines(c,
		"completion bash\tPrint a bash completion script: source <(supervisorctl completion bash)",
		"completion zsh\tPrint a zsh completion script",
		"completion fish\tPrint a fish completion script")
}

// doComplete is what the scripts run: "names" prints every process name
// the way the commands take it (name for a process alone in its group,
// group:name otherwise, and group:* for each group), "groups" every group
// name, one a line. It says nothing on failure: a Tab should not print.
func (c *CLI) doComplete(arg string) (bool, error) {
	v, err := c.call("getAllProcessInfo")
	if err != nil {
		c.exitStatus = exitGeneric
		return false, nil
	}
	var out []string
	seen := map[string]bool{}
	for _, info := range infos(v) {
		group, name := info.str("group"), info.str("name")
		switch strings.TrimSpace(arg) {
		case "names":
			if !seen[group] {
				seen[group] = true
				out = append(out, group+":*")
			}
			if group == name {
				out = append(out, name)
			} else {
				out = append(out, group+":"+name)
			}
		case "groups":
			if !seen[group] {
				seen[group] = true
				out = append(out, group)
			}
		default:
			c.exitStatus = exitInvalidArgs
			return false, nil
		}
	}
	for _, s := range out {
		c.output(s)
	}
	return false, nil
}

// completionSpec is what the scripts know of one action.
type completionSpec struct {
	name               string
	args, flags, words []string
}

func completionSpecs() []completionSpec {
	var specs []completionSpec
	for _, name := range vocabulary() {
		cmd := commands[name]
		specs = append(specs, completionSpec{name: name, args: cmd.args, flags: cmd.flags, words: cmd.words})
	}
	return specs
}

func completionScript(shell string) string {
	switch shell {
	case "bash":
		return bashScript()
	case "zsh":
		return zshScript()
	}
	return fishScript()
}

func bashScript() string {
	var b strings.Builder
	b.WriteString("# bash completion for supervisorctl, written by `supervisorctl completion bash`.\n")
	b.WriteString("# Load it with: source <(supervisorctl completion bash)\n\n")
	fmt.Fprintf(&b, "_supervisorctl_actions=(%s)\n\n", strings.Join(vocabulary(), " "))
	b.WriteString("_supervisorctl_spec() {\n    case \"$1\" in\n")
	for _, s := range completionSpecs() {
		fmt.Fprintf(&b, "        %s) _sc_args=(%s) _sc_flags=(%s) _sc_words=(%s) ;;\n",
			s.name, strings.Join(s.args, " "), strings.Join(s.flags, " "), strings.Join(s.words, " "))
	}
	b.WriteString("        *) _sc_args=() _sc_flags=() _sc_words=() ;;\n    esac\n}\n")
	b.WriteString(strings.NewReplacer(
		"@OPTIONS@", strings.Join(globalOptions, " "),
		"@SIGNALS@", strings.Join(completionSignals, " "),
		"@SHELLS@", strings.Join(completionShells, " "),
		"@FLEET@", strings.Join(fleetSubcommands, " "),
	).Replace(bashBody))
	return b.String()
}

const bashBody = `
_supervisorctl() {
    local line cur prev i last n kind action="" actpos=0 w
    local -a words conn=() cands=() more=() kinds=() _sc_args=() _sc_flags=() _sc_words=()
    COMPREPLY=()
    # The words up to the cursor, split at blanks only: group:name is one.
    if [[ -n "${COMP_LINE-}" ]]; then
        line="${COMP_LINE:0:${COMP_POINT:-${#COMP_LINE}}}"
        read -ra words <<< "$line"
        if [[ ${#words[@]} -eq 0 || "$line" =~ [[:space:]]$ ]]; then words+=(""); fi
    else
        words=("${COMP_WORDS[@]:0:COMP_CWORD+1}")
    fi
    last=$(( ${#words[@]} - 1 ))
    cur="${words[last]}"
    prev=""
    (( last > 0 )) && prev="${words[last-1]}"
    i=1
    while (( i < last )); do
        case "${words[i]}" in
            -c|--configuration|-s|--serverurl|-u|--username|-p|--password)
                conn+=("${words[i]}" "${words[i+1]}"); (( i += 2 )); continue ;;
            -r|--history-file) (( i += 2 )); continue ;;
            -c?*|-s?*|-u?*|-p?*|--configuration=*|--serverurl=*|--username=*|--password=*)
                conn+=("${words[i]}"); (( i += 1 )); continue ;;
            -*) (( i += 1 )); continue ;;
        esac
        action="${words[i]}"; actpos=$i
        break
    done
    if [[ -z "$action" ]]; then
        case "$prev" in
            -c|--configuration|-r|--history-file) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
            -s|--serverurl|-u|--username|-p|--password) return ;;
        esac
        if [[ "$cur" == -* ]]; then cands=(@OPTIONS@); else cands=("${_supervisorctl_actions[@]}"); fi
    else
        _supervisorctl_spec "$action"
        n=0
        for (( i = actpos + 1; i < last; i++ )); do
            [[ "${words[i]}" == -* ]] || (( n += 1 ))
        done
        if [[ "$cur" == -* && ${#_sc_flags[@]} -gt 0 ]]; then
            cands=("${_sc_flags[@]}")
        else
            kinds=("${_sc_args[@]}")
            kind=""
            if (( n < ${#kinds[@]} )); then
                kind="${kinds[n]}"
            elif (( ${#kinds[@]} > 0 )) && [[ "${kinds[${#kinds[@]}-1]}" == *... ]]; then
                kind="${kinds[${#kinds[@]}-1]}"
            fi
            case "${kind%...}" in
                process) mapfile -t more < <("${words[0]}" "${conn[@]}" __complete names 2>/dev/null)
                         cands=("${_sc_words[@]}" "${more[@]}") ;;
                group) mapfile -t more < <("${words[0]}" "${conn[@]}" __complete groups 2>/dev/null)
                       cands=("${_sc_words[@]}" "${more[@]}") ;;
                signal) cands=(@SIGNALS@) ;;
                stream) cands=(stdout stderr) ;;
                action) cands=("${_supervisorctl_actions[@]}") ;;
                shell) cands=(@SHELLS@) ;;
                fleet) cands=(@FLEET@) ;;
                file) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
            esac
        fi
    fi
    for w in "${cands[@]}"; do
        [[ "$w" == "$cur"* ]] && COMPREPLY+=("$w")
    done
    # bash splits words at ":" too: reply with what follows the last one.
    if [[ "$cur" == *:* && "${COMP_WORDBREAKS-}" == *:* ]]; then
        w="${cur%"${cur##*:}"}"
        for i in "${!COMPREPLY[@]}"; do COMPREPLY[i]="${COMPREPLY[i]#"$w"}"; done
    fi
}

complete -F _supervisorctl supervisorctl
`

func zshScript() string {
	var b strings.Builder
	b.WriteString("#compdef supervisorctl\n")
	b.WriteString("# zsh completion for supervisorctl, written by `supervisorctl completion zsh`.\n")
	b.WriteString("# Load it with: autoload -U compinit && compinit; source <(supervisorctl completion zsh)\n\n")
	fmt.Fprintf(&b, "_supervisorctl_actions=(%s)\n\n", strings.Join(vocabulary(), " "))
	b.WriteString("_supervisorctl_spec() {\n  case $1 in\n")
	for _, s := range completionSpecs() {
		fmt.Fprintf(&b, "    (%s) _sc_args=(%s) _sc_flags=(%s) _sc_words=(%s) ;;\n",
			s.name, strings.Join(s.args, " "), strings.Join(s.flags, " "), strings.Join(s.words, " "))
	}
	b.WriteString("    (*) _sc_args=() _sc_flags=() _sc_words=() ;;\n  esac\n}\n")
	b.WriteString(strings.NewReplacer(
		"@OPTIONS@", strings.Join(globalOptions, " "),
		"@SIGNALS@", strings.Join(completionSignals, " "),
		"@SHELLS@", strings.Join(completionShells, " "),
		"@FLEET@", strings.Join(fleetSubcommands, " "),
	).Replace(zshBody))
	return b.String()
}

const zshBody = `
_supervisorctl() {
  local -a conn cands _sc_args _sc_flags _sc_words
  local i=2 action="" actpos=0 n=0 kind="" cur=${words[CURRENT]} prev=${words[CURRENT-1]}
  while (( i < CURRENT )); do
    case ${words[i]} in
      (-c|--configuration|-s|--serverurl|-u|--username|-p|--password)
        conn+=(${words[i]} ${words[i+1]}); (( i += 2 )); continue ;;
      (-r|--history-file) (( i += 2 )); continue ;;
      (-c?*|-s?*|-u?*|-p?*|--configuration=*|--serverurl=*|--username=*|--password=*)
        conn+=(${words[i]}); (( i += 1 )); continue ;;
      (-*) (( i += 1 )); continue ;;
    esac
    action=${words[i]}; actpos=$i
    break
  done
  if [[ -z $action ]]; then
    case $prev in
      (-c|--configuration|-r|--history-file) _files; return ;;
      (-s|--serverurl|-u|--username|-p|--password) return 1 ;;
    esac
    if [[ $cur == -* ]]; then cands=(@OPTIONS@); else cands=($_supervisorctl_actions); fi
  else
    _supervisorctl_spec $action
    for (( i = actpos + 1; i < CURRENT; i++ )); do
      [[ ${words[i]} == -* ]] || (( n += 1 ))
    done
    if [[ $cur == -* && ${#_sc_flags} -gt 0 ]]; then
      cands=($_sc_flags)
    else
      if (( n < ${#_sc_args} )); then
        kind=${_sc_args[n+1]}
      elif (( ${#_sc_args} > 0 )) && [[ ${_sc_args[-1]} == *... ]]; then
        kind=${_sc_args[-1]}
      fi
      case ${kind%...} in
        (process) cands=($_sc_words ${(f)"$(${words[1]} $conn __complete names 2>/dev/null)"}) ;;
        (group) cands=($_sc_words ${(f)"$(${words[1]} $conn __complete groups 2>/dev/null)"}) ;;
        (signal) cands=(@SIGNALS@) ;;
        (stream) cands=(stdout stderr) ;;
        (action) cands=($_supervisorctl_actions) ;;
        (shell) cands=(@SHELLS@) ;;
        (fleet) cands=(@FLEET@) ;;
        (file) _files; return ;;
      esac
    fi
  fi
  compadd -a cands
}

# Autoloaded from $fpath this file is the body of _supervisorctl: it has
# just defined the functions, so complete now; sourced, register.
if [[ ${funcstack[1]-} == _supervisorctl ]]; then
  _supervisorctl "$@"
else
  compdef _supervisorctl supervisorctl
fi
`

func fishScript() string {
	var b strings.Builder
	b.WriteString("# fish completion for supervisorctl, written by `supervisorctl completion fish`.\n")
	b.WriteString("# Install it with: supervisorctl completion fish > ~/.config/fish/completions/supervisorctl.fish\n\n")
	fmt.Fprintf(&b, "set -g __supervisorctl_actions %s\n\n", strings.Join(vocabulary(), " "))
	for _, part := range []struct {
		fn  string
		get func(completionSpec) []string
	}{
		{"args", func(s completionSpec) []string { return s.args }},
		{"flags", func(s completionSpec) []string { return s.flags }},
		{"words", func(s completionSpec) []string { return s.words }},
	} {
		fmt.Fprintf(&b, "function __supervisorctl_%s\n    switch $argv[1]\n", part.fn)
		for _, s := range completionSpecs() {
			if vals := part.get(s); len(vals) > 0 {
				fmt.Fprintf(&b, "        case %s\n            printf '%%s\\n' %s\n", s.name, strings.Join(vals, " "))
			}
		}
		b.WriteString("    end\nend\n\n")
	}
	b.WriteString(strings.NewReplacer(
		"@OPTIONS@", strings.Join(globalOptions, " "),
		"@SIGNALS@", strings.Join(completionSignals, " "),
		"@SHELLS@", strings.Join(completionShells, " "),
		"@FLEET@", strings.Join(fleetSubcommands, " "),
	).Replace(fishBody))
	return b.String()
}

const fishBody = `function __supervisorctl_candidates
    set -l toks (commandline -opc)
    set -l cur (commandline -ct)
    set -l conn
    set -l action
    set -l i 2
    set -l last (count $toks)
    while test $i -le $last
        set -l w $toks[$i]
        switch $w
            case '-c' '--configuration' '-s' '--serverurl' '-u' '--username' '-p' '--password'
                set -a conn $w
                if test $i -lt $last
                    set -a conn $toks[(math $i + 1)]
                end
                set i (math $i + 2)
                continue
            case '-r' '--history-file'
                set i (math $i + 2)
                continue
            case '-c*' '-s*' '-u*' '-p*' '--configuration=*' '--serverurl=*' '--username=*' '--password=*'
                set -a conn $w
                set i (math $i + 1)
                continue
            case '-*'
                set i (math $i + 1)
                continue
        end
        set action $w
        break
    end
    if test -z "$action"
        switch "$toks[-1]"
            case '-c' '--configuration' '-r' '--history-file'
                __fish_complete_path $cur
                return
            case '-s' '--serverurl' '-u' '--username' '-p' '--password'
                return
        end
        if string match -q -- '-*' $cur
            printf '%s\n' @OPTIONS@
        else
            printf '%s\n' $__supervisorctl_actions
        end
        return
    end
    set -l flags (__supervisorctl_flags $action)
    if string match -q -- '-*' $cur; and test (count $flags) -gt 0
        printf '%s\n' $flags
        return
    end
    set -l n 0
    if test $i -lt $last
        for w in $toks[(math $i + 1)..-1]
            string match -q -- '-*' $w; or set n (math $n + 1)
        end
    end
    set -l kinds (__supervisorctl_args $action)
    set -l kind
    if test $n -lt (count $kinds)
        set kind $kinds[(math $n + 1)]
    else if test (count $kinds) -gt 0; and string match -q -- '*...' $kinds[-1]
        set kind $kinds[-1]
    end
    switch (string replace -r '\.\.\.$' '' -- "$kind")
        case process
            __supervisorctl_words $action
            $toks[1] $conn __complete names 2>/dev/null
        case group
            __supervisorctl_words $action
            $toks[1] $conn __complete groups 2>/dev/null
        case signal
            printf '%s\n' @SIGNALS@
        case stream
            printf '%s\n' stdout stderr
        case action
            printf '%s\n' $__supervisorctl_actions
        case shell
            printf '%s\n' @SHELLS@
        case fleet
            printf '%s\n' @FLEET@
        case file
            __fish_complete_path $cur
    end
end

complete -c supervisorctl -f -a '(__supervisorctl_candidates)'
`
