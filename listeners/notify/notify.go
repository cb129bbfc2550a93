// Package notify sends the built-in listeners' notifications: to a shell
// command reading the message on its stdin, to a sendmail-like command as
// an email (superlance's -m and -s), and to a webhook as a JSON POST.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// DefaultSendmail is the sendmail command superlance uses.
const DefaultSendmail = "/usr/sbin/sendmail -t -i"

// Message is one notification.
type Message struct {
	Subject string
	Body    string
	Fields  map[string]any // extra members of the webhook's JSON object
}

// Notifier sends each Message to every destination that is set.
type Notifier struct {
	// Command is run with /bin/sh -c; it gets the body on stdin and the
	// subject in $NOTIFY_SUBJECT.
	Command string
	// Email is sent through Sendmail (DefaultSendmail if empty) as
	// "To: <Email>\nSubject: <subject>\n\n<body>".
	Email    string
	Sendmail string
	// Webhook receives a POST of a JSON object {"subject": ..., "message":
	// ..., plus Fields}; any status but 2xx is an error.
	Webhook string
	HTTP    *http.Client  // http.DefaultClient if nil
	Timeout time.Duration // per destination; 30s if zero
}

// Enabled reports whether any destination is set.
func (n *Notifier) Enabled() bool {
	return n != nil && (n.Command != "" || n.Email != "" || n.Webhook != "")
}

// Notify sends m everywhere, returning the first error (after trying
// every destination).
func (n *Notifier) Notify(ctx context.Context, m Message) error {
	if !n.Enabled() {
		return nil
	}
	timeout := n.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	var errs []error
	if n.Command != "" {
		if err := n.run(ctx, timeout, n.Command, m.Body, m.Subject); err != nil {
			errs = append(errs, fmt.Errorf("notify command: %w", err))
		}
	}
	if n.Email != "" {
		sendmail := n.Sendmail
		if sendmail == "" {
			sendmail = DefaultSendmail
		}
		mail := "To: " + n.Email + "\nSubject: " + m.Subject + "\n\n" + m.Body
		if err := n.run(ctx, timeout, sendmail, mail, m.Subject); err != nil {
			errs = append(errs, fmt.Errorf("sendmail: %w", err))
		}
	}
	if n.Webhook != "" {
		if err := n.post(ctx, timeout, m); err != nil {
			errs = append(errs, fmt.Errorf("webhook: %w", err))
		}
	}
	if len(errs) > 0 {
		return errs[0]
	}
	return nil
}

func (n *Notifier) run(ctx context.Context, timeout time.Duration, command, stdin, subject string) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "/bin/sh", "-c", command)
	cmd.Stdin = strings.NewReader(stdin)
	cmd.Env = append(os.Environ(), "NOTIFY_SUBJECT="+subject)
	// On timeout, kill the shell's whole process group, and do not wait
	// for grandchildren holding the output pipe.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if out.Len() > 0 {
			return fmt.Errorf("%v: %s", err, bytes.TrimSpace(out.Bytes()))
		}
		return err
	}
	return nil
}

func (n *Notifier) post(ctx context.Context, timeout time.Duration, m Message) error {
	obj := map[string]any{}
	for k, v := range m.Fields {
		obj[k] = v
	}
	obj["subject"], obj["message"] = m.Subject, m.Body
	body, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, n.Webhook, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	client := n.HTTP
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s answered %s", n.Webhook, resp.Status)
	}
	return nil
}
