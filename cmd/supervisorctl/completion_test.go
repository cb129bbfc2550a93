package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"supervisord/testkit"
)

// The scripts as written, kept in testdata/completion.SHELL (-update
// rewrites them), and each checked by its shell's parser where that shell
// is installed.
func TestCompletionScripts(t *testing.T) {
	for _, shell := range completionShells {
		t.Run(shell, func(t *testing.T) {
			got := completionScript(shell)
			checkGolden(t, "completion."+shell, got)
			for _, cmd := range vocabulary() {
				if !strings.Contains(got, cmd) {
					t.Errorf("the %s script does not offer %s", shell, cmd)
				}
			}
			if strings.Contains(got, "__complete)") || strings.Contains(got, "case __complete") {
				t.Errorf("the %s script offers the hidden __complete", shell)
			}
			path, err := exec.LookPath(shell)
			if err != nil {
				t.Logf("%s is not installed: its script is not parsed", shell)
				return
			}
			script := filepath.Join(t.TempDir(), "script")
			os.WriteFile(script, []byte(got), 0o644)
			if out, err := exec.Command(path, "-n", script).CombinedOutput(); err != nil {
				t.Errorf("%s -n: %v\n%s", shell, err, out)
			}
		})
	}
}

// A command added to the table is completed without touching the
// scripts' writer.
func TestCompletionFollowsTable(t *testing.T) {
	commands["zzcheck"] = &command{run: (*CLI).doVersion, args: []string{"stream"}, flags: []string{"--zz"}}
	defer delete(commands, "zzcheck")
	for _, shell := range completionShells {
		s := completionScript(shell)
		if !strings.Contains(s, "zzcheck") || !strings.Contains(s, "--zz") {
			t.Errorf("the %s script lacks a new command", shell)
		}
	}
}

const completeConf = `
[program:solo]
command=/bin/sleep 1000
startsecs=0

[group:grp]
programs=ga,gb

[program:ga]
command=/bin/sleep 1000
startsecs=0

[program:gb]
command=/bin/sleep 1000
startsecs=0

[program:pair]
command=/bin/sleep 1000
process_name=%(program_name)s_%(process_num)d
numprocs=2
autostart=false
`

// The bash script for real: sourced into bash, its function called as
// bash calls it (COMP_LINE, COMP_POINT, COMP_WORDS and COMP_CWORD set,
// COMP_WORDBREAKS as bash has it), against a running daemon whose process
// names it asks for with the -c or -s of the line.
func TestBashCompletion(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	d := testkit.StartDaemon(t, filepath.Join(bin, "supervisord"), testkit.Config("{dir}")+testkit.RPCConfig("{dir}")+completeConf)
	if got, ok := d.WaitStates(map[string]string{"solo": "RUNNING", "ga": "RUNNING", "gb": "RUNNING"}, 20*time.Second); !ok {
		t.Fatalf("states %v", got)
	}
	script := filepath.Join(t.TempDir(), "supervisorctl.bash")
	r := testkit.RunCtl(t, oursCtl(), d.Dir, "", "completion", "bash")
	if r.Code != 0 {
		t.Fatalf("completion bash: %v", r)
	}
	os.WriteFile(script, []byte(r.Stdout), 0o644)
	ctl := oursCtl()
	names := []string{"all", "grp:*", "grp:ga", "grp:gb", "pair:*", "pair:pair_0", "pair:pair_1", "solo:*", "solo"}
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"-c " + d.Conf + " st", []string{"start", "status", "stop"}},
		{"-c " + d.Conf + " ", vocabulary()},
		{"-c " + d.Conf + " -", globalOptions},
		{"-c " + d.Conf + " start ", names},
		{"-c " + d.Conf + " start solo ", names},
		{"-c " + d.Conf + " status ", names},
		{"-c " + d.Conf + " start grp:", []string{"*", "ga", "gb"}}, // bash put "grp:" before the word
		{"-c " + d.Conf + " stop p", []string{"pair:*", "pair:pair_0", "pair:pair_1"}},
		{"-s unix://" + d.Socket() + " cat s", []string{"solo:*", "solo"}},
		{"--configuration=" + d.Conf + " cat s", []string{"solo:*", "solo"}},
		{"-c " + d.Conf + " tail -", []string{"-f"}},
		{"-c " + d.Conf + " tail -f solo ", []string{"stdout", "stderr"}},
		{"-c " + d.Conf + " add ", []string{"grp", "pair", "solo"}},
		{"-c " + d.Conf + " update ", []string{"all", "grp", "pair", "solo"}},
		{"-c " + d.Conf + " signal H", []string{"HUP"}},
		{"-c " + d.Conf + " signal HUP g", []string{"grp:*", "grp:ga", "grp:gb"}},
		{"-c " + d.Conf + " fleet ", fleetSubcommands},
		{"-c " + d.Conf + " fleet -", []string{"-l", "-f"}},
		{"-c " + d.Conf + " help ca", []string{"cat"}},
		{"-c " + d.Conf + " completion ", completionShells},
		{"-c " + d.Conf + " version ", nil},
		{"-c " + d.Dir + "/nosuch.conf start ", []string{"all"}}, // no daemon to ask
		{"-s ", nil},
	} {
		got := bashComplete(t, bash, script, ctl+" "+tc.line)
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %q, want %q", tc.line, got, tc.want)
		}
	}
}

// bashComplete sources script into a fresh bash, sets the COMP_ variables
// as bash's own completion would for line, with the cursor at its end,
// and prints what the completion function replies.
func bashComplete(t *testing.T, bash, script, line string) []string {
	t.Helper()
	prog := `source "$1"
COMP_LINE="$2"
COMP_POINT=${#COMP_LINE}
# COMP_WORDS as bash splits them, at blanks and at COMP_WORDBREAKS.
read -ra COMP_WORDS <<< "$(sed -E 's/([:=])/ \1 /g' <<< "$COMP_LINE")"
[[ "$COMP_LINE" =~ [[:space:]:=]$ ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
_supervisorctl supervisorctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
`
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", prog, "bash", script, line)
	cmd.Dir = t.TempDir() // no supervisord.conf to find here
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	var got []string
	for _, l := range strings.Split(string(out), "\n") {
		if l != "" {
			got = append(got, l)
		}
	}
	return got
}
