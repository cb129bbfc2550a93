#compdef supervisorctl
# zsh completion for supervisorctl, written by `supervisorctl completion zsh`.
# Load it with: autoload -U compinit && compinit; source <(supervisorctl completion zsh)

_supervisorctl_actions=(add autoreload avail cat clear completion disable enable exit fg fleet help maintail open pid quit reload remove reread restart rotate scale shutdown signal start status stop tail update upgrade version why)

_supervisorctl_spec() {
  case $1 in
    (add) _sc_args=(group...) _sc_flags=() _sc_words=() ;;
    (autoreload) _sc_args=() _sc_flags=() _sc_words=() ;;
    (avail) _sc_args=() _sc_flags=() _sc_words=() ;;
    (cat) _sc_args=(process...) _sc_flags=() _sc_words=() ;;
    (clear) _sc_args=(process...) _sc_flags=() _sc_words=(all) ;;
    (completion) _sc_args=(shell) _sc_flags=() _sc_words=() ;;
    (disable) _sc_args=(process...) _sc_flags=() _sc_words=() ;;
    (enable) _sc_args=(process...) _sc_flags=() _sc_words=() ;;
    (exit) _sc_args=() _sc_flags=() _sc_words=() ;;
    (fg) _sc_args=(process) _sc_flags=() _sc_words=() ;;
    (fleet) _sc_args=(fleet) _sc_flags=(-l -f) _sc_words=() ;;
    (help) _sc_args=(action) _sc_flags=() _sc_words=() ;;
    (maintail) _sc_args=() _sc_flags=(-f) _sc_words=() ;;
    (open) _sc_args=() _sc_flags=() _sc_words=() ;;
    (pid) _sc_args=(process...) _sc_flags=() _sc_words=(all) ;;
    (quit) _sc_args=() _sc_flags=() _sc_words=() ;;
    (reload) _sc_args=() _sc_flags=() _sc_words=() ;;
    (remove) _sc_args=(group...) _sc_flags=() _sc_words=() ;;
    (reread) _sc_args=() _sc_flags=() _sc_words=() ;;
    (restart) _sc_args=(process...) _sc_flags=(--rolling --max-unavailable) _sc_words=(all) ;;
    (rotate) _sc_args=(process...) _sc_flags=() _sc_words=(all supervisord) ;;
    (scale) _sc_args=(group...) _sc_flags=() _sc_words=() ;;
    (shutdown) _sc_args=() _sc_flags=() _sc_words=() ;;
    (signal) _sc_args=(signal process...) _sc_flags=() _sc_words=(all) ;;
    (start) _sc_args=(process...) _sc_flags=() _sc_words=(all) ;;
    (status) _sc_args=(process...) _sc_flags=() _sc_words=(all) ;;
    (stop) _sc_args=(process...) _sc_flags=() _sc_words=(all) ;;
    (tail) _sc_args=(process stream) _sc_flags=(-f) _sc_words=() ;;
    (update) _sc_args=(group...) _sc_flags=() _sc_words=(all) ;;
    (upgrade) _sc_args=(file) _sc_flags=() _sc_words=() ;;
    (version) _sc_args=() _sc_flags=() _sc_words=() ;;
    (why) _sc_args=(process...) _sc_flags=() _sc_words=(all) ;;
    (*) _sc_args=() _sc_flags=() _sc_words=() ;;
  esac
}

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
    if [[ $cur == -* ]]; then cands=(-c --configuration -h --help -i --interactive -s --serverurl -u --username -p --password -r --history-file); else cands=($_supervisorctl_actions); fi
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
        (signal) cands=(HUP INT QUIT KILL TERM USR1 USR2 STOP CONT ALRM WINCH) ;;
        (stream) cands=(stdout stderr) ;;
        (action) cands=($_supervisorctl_actions) ;;
        (shell) cands=(bash zsh fish) ;;
        (fleet) cands=(events nodes restart signal start status stop tail) ;;
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
