# fish completion for supervisorctl, written by `supervisorctl completion fish`.
# Install it with: supervisorctl completion fish > ~/.config/fish/completions/supervisorctl.fish

set -g __supervisorctl_actions add autoreload avail cat clear completion disable enable exit fg fleet help maintail open pid quit reload remove reread restart rotate scale shutdown signal start status stop tail update upgrade version why

function __supervisorctl_args
    switch $argv[1]
        case add
            printf '%s\n' group...
        case cat
            printf '%s\n' process...
        case clear
            printf '%s\n' process...
        case completion
            printf '%s\n' shell
        case disable
            printf '%s\n' process...
        case enable
            printf '%s\n' process...
        case fg
            printf '%s\n' process
        case fleet
            printf '%s\n' fleet
        case help
            printf '%s\n' action
        case pid
            printf '%s\n' process...
        case remove
            printf '%s\n' group...
        case restart
            printf '%s\n' process...
        case rotate
            printf '%s\n' process...
        case scale
            printf '%s\n' group...
        case signal
            printf '%s\n' signal process...
        case start
            printf '%s\n' process...
        case status
            printf '%s\n' process...
        case stop
            printf '%s\n' process...
        case tail
            printf '%s\n' process stream
        case update
            printf '%s\n' group...
        case upgrade
            printf '%s\n' file
        case why
            printf '%s\n' process...
    end
end

function __supervisorctl_flags
    switch $argv[1]
        case fleet
            printf '%s\n' -l -f
        case maintail
            printf '%s\n' -f
        case restart
            printf '%s\n' --rolling --max-unavailable
        case tail
            printf '%s\n' -f
    end
end

function __supervisorctl_words
    switch $argv[1]
        case clear
            printf '%s\n' all
        case pid
            printf '%s\n' all
        case restart
            printf '%s\n' all
        case rotate
            printf '%s\n' all supervisord
        case signal
            printf '%s\n' all
        case start
            printf '%s\n' all
        case status
            printf '%s\n' all
        case stop
            printf '%s\n' all
        case update
            printf '%s\n' all
        case why
            printf '%s\n' all
    end
end

function __supervisorctl_candidates
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
            printf '%s\n' -c --configuration -h --help -i --interactive -s --serverurl -u --username -p --password -r --history-file
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
            printf '%s\n' HUP INT QUIT KILL TERM USR1 USR2 STOP CONT ALRM WINCH
        case stream
            printf '%s\n' stdout stderr
        case action
            printf '%s\n' $__supervisorctl_actions
        case shell
            printf '%s\n' bash zsh fish
        case fleet
            printf '%s\n' events nodes restart signal start status stop tail
        case file
            __fish_complete_path $cur
    end
end

complete -c supervisorctl -f -a '(__supervisorctl_candidates)'
