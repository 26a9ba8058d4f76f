// Package tui is candor-review's terminal interface: browse sources and
// their items, read reports, export attachments, queue replies and status
// changes, and write the outbox. It is a thin layer over package
// workspace, the same code the subcommands use.
//
// Security properties:
//
//   - Every string that came from a bundle or a reporter is passed through
//     term.Line or term.Sanitize (via workspace.Home.Render) before it is
//     drawn, so a report cannot inject terminal escape sequences.
//   - The passphrase prompt never echoes and the passphrase is kept only for
//     the one operation that needs it.
package tui

import (
	"errors"
	"fmt"
	"os"
	"strings"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"

	"github.com/candor-drop/candor/cmd/candor-review/internal/term"
	"github.com/candor-drop/candor/cmd/candor-review/internal/workspace"
)

type screen int

const (
	screenSources screen = iota
	screenItems
	screenItem
	screenCompose
	screenStatus
	screenPrompt
)

// prompt is a one-line question (a directory, a file, a passphrase).
type prompt struct {
	question string
	value    []rune
	secret   bool
	then     func(m *Model, answer string) // called on enter
	back     screen
}

// Model is the bubbletea model. Create it with New.
type Model struct {
	home    *workspace.Home
	ix      *workspace.Index
	sources []workspace.SourceView
	screen  screen

	srcCur, itemCur, statusCur int
	scroll                     int
	itemText                   string

	compose []rune
	prompt  *prompt
	message string // one line shown at the bottom
	isError bool

	width, height int
}

var (
	titleStyle = lipgloss.NewStyle().Bold(true)
	selStyle   = lipgloss.NewStyle().Reverse(true)
	helpStyle  = lipgloss.NewStyle().Faint(true)
	errStyle   = lipgloss.NewStyle().Bold(true)
)

// New loads the workspace of home.
func New(home *workspace.Home) (*Model, error) {
	m := &Model{home: home, width: 80, height: 24}
	if err := m.reload(); err != nil {
		return nil, err
	}
	return m, nil
}

// Run runs the interface on the terminal until the user quits.
func Run(home *workspace.Home) error {
	m, err := New(home)
	if err != nil {
		return err
	}
	_, err = tea.NewProgram(m, tea.WithAltScreen()).Run()
	return err
}

func (m *Model) reload() error {
	ix, err := m.home.LoadIndex()
	if err != nil {
		return err
	}
	m.ix = ix
	m.sources = ix.List()
	if m.srcCur >= len(m.sources) {
		m.srcCur = max(0, len(m.sources)-1)
	}
	return nil
}

func (m *Model) flash(format string, args ...any) {
	m.message, m.isError = fmt.Sprintf(format, args...), false
}

func (m *Model) fail(err error) {
	msg := strings.ReplaceAll(err.Error(), "workspace: ", "")
	m.message, m.isError = term.Line(msg), true
}

func (m *Model) curSource() *workspace.SourceView {
	if m.srcCur < len(m.sources) {
		return &m.sources[m.srcCur]
	}
	return nil
}

func (m *Model) curItem() *workspace.Item {
	s := m.curSource()
	if s == nil || m.itemCur >= len(s.Items) {
		return nil
	}
	return &s.Items[m.itemCur]
}

// Init implements tea.Model.
func (m *Model) Init() tea.Cmd { return nil }

// Update implements tea.Model.
func (m *Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		return m, nil
	case tea.KeyMsg:
		if msg.Type == tea.KeyCtrlC {
			return m, tea.Quit
		}
		switch m.screen {
		case screenSources:
			return m.updateSources(msg)
		case screenItems:
			return m.updateItems(msg)
		case screenItem:
			return m.updateItem(msg)
		case screenCompose:
			return m.updateCompose(msg)
		case screenStatus:
			return m.updateStatus(msg)
		case screenPrompt:
			return m.updatePrompt(msg)
		}
	}
	return m, nil
}

func move(cur, n int, key string) int {
	switch key {
	case "up", "k":
		cur--
	case "down", "j":
		cur++
	case "home", "g":
		cur = 0
	case "end", "G":
		cur = n - 1
	}
	return max(0, min(cur, n-1))
}

func (m *Model) updateSources(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	m.message = ""
	switch k.String() {
	case "q", "esc":
		return m, tea.Quit
	case "enter", "right", "l":
		if m.curSource() != nil {
			m.screen, m.itemCur = screenItems, 0
		}
	case "o":
		m.askOutbox()
	default:
		m.srcCur = move(m.srcCur, len(m.sources), k.String())
	}
	return m, nil
}

func (m *Model) updateItems(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	m.message = ""
	s := m.curSource()
	switch k.String() {
	case "q":
		return m, tea.Quit
	case "esc", "left", "h":
		m.screen = screenSources
	case "enter", "right", "l":
		if it := m.curItem(); it != nil {
			text, err := m.home.Render(m.ix, m.ix.Items[it.ID])
			if err != nil {
				m.fail(err)
				return m, nil
			}
			m.itemText, m.scroll, m.screen = text, 0, screenItem
		}
	case "r":
		m.compose, m.screen = nil, screenCompose
	case "s":
		m.statusCur, m.screen = 0, screenStatus
	default:
		m.itemCur = move(m.itemCur, len(s.Items), k.String())
	}
	return m, nil
}

func (m *Model) updateItem(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	lines := strings.Count(m.itemText, "\n") + 1
	page := max(1, m.height-4)
	switch k.String() {
	case "q":
		return m, tea.Quit
	case "esc", "left", "h":
		m.screen = screenItems
	case "up", "k":
		m.scroll = max(0, m.scroll-1)
	case "down", "j":
		m.scroll = min(max(0, lines-page), m.scroll+1)
	case "pgup", "b":
		m.scroll = max(0, m.scroll-page)
	case "pgdown", " ", "f":
		m.scroll = min(max(0, lines-page), m.scroll+page)
	case "e":
		it := m.curItem()
		if it == nil || it.Kind != "file" {
			m.flash("Only attachments can be exported.")
			return m, nil
		}
		id := it.ID
		m.ask("Export to directory: ", false, screenItem, func(m *Model, dir string) {
			if dir == "" {
				return
			}
			res, err := m.home.Export(m.ix.Items[id], dir)
			if err != nil {
				m.fail(err)
				return
			}
			if res.Cleaned != "" {
				m.flash("Wrote %s and %s (%d kind(s) of metadata removed).", term.Line(res.Original), term.Line(res.Cleaned), len(res.Removed))
			} else {
				m.flash("Wrote %s; no cleaned copy: %s.", term.Line(res.Original), term.Line(res.NotCleaned))
			}
		})
	case "r":
		m.compose, m.screen = nil, screenCompose
	}
	return m, nil
}

func (m *Model) updateCompose(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch k.Type {
	case tea.KeyEsc:
		m.screen = screenItems
		m.flash("Reply discarded.")
	case tea.KeyCtrlS:
		s := m.curSource()
		q, err := m.home.QueueReply(s.ID, []byte(string(m.compose)))
		if err != nil {
			m.fail(err)
			return m, nil
		}
		m.screen = screenItems
		m.flash("Reply to %s queued. Press o on the source list to write the outbox.", term.Line(q.Designation))
	case tea.KeyEnter:
		m.compose = append(m.compose, '\n')
	case tea.KeyBackspace:
		if len(m.compose) > 0 {
			m.compose = m.compose[:len(m.compose)-1]
		}
	case tea.KeySpace:
		m.compose = append(m.compose, ' ')
	case tea.KeyRunes:
		m.compose = append(m.compose, k.Runes...)
	case tea.KeyTab:
		m.compose = append(m.compose, '\t')
	}
	return m, nil
}

func (m *Model) updateStatus(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch k.String() {
	case "esc", "q":
		m.screen = screenItems
	case "enter":
		s := m.curSource()
		q, err := m.home.QueueStatus(s.ID, workspace.Statuses[m.statusCur], nil)
		m.screen = screenItems
		if err != nil {
			m.fail(err)
			return m, nil
		}
		m.flash("Status %q for %s queued.", q.Status, term.Line(q.Designation))
	default:
		m.statusCur = move(m.statusCur, len(workspace.Statuses), k.String())
	}
	return m, nil
}

func (m *Model) ask(q string, secret bool, back screen, then func(*Model, string)) {
	m.prompt = &prompt{question: q, secret: secret, then: then, back: back}
	m.screen = screenPrompt
}

func (m *Model) updatePrompt(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	p := m.prompt
	switch k.Type {
	case tea.KeyEsc:
		m.screen, m.prompt = p.back, nil
	case tea.KeyEnter:
		m.screen, m.prompt = p.back, nil
		p.then(m, string(p.value))
		for i := range p.value {
			p.value[i] = 0
		}
	case tea.KeyBackspace:
		if len(p.value) > 0 {
			p.value = p.value[:len(p.value)-1]
		}
	case tea.KeySpace:
		p.value = append(p.value, ' ')
	case tea.KeyRunes:
		p.value = append(p.value, k.Runes...)
	}
	return m, nil
}

func (m *Model) askOutbox() {
	ob, err := m.home.LoadOutbox()
	if err != nil {
		m.fail(err)
		return
	}
	if len(ob.Replies)+len(ob.Statuses) == 0 {
		m.flash("The outbox is empty.")
		return
	}
	m.ask(fmt.Sprintf("Write %d reply(ies), %d status change(s) to file: ", len(ob.Replies), len(ob.Statuses)), false, screenSources, func(m *Model, out string) {
		if out == "" {
			return
		}
		if _, err := os.Lstat(out); err == nil {
			m.fail(fmt.Errorf("%s already exists; nothing was overwritten", out))
			return
		}
		m.ask("Passphrase of the submission key: ", true, screenSources, func(m *Model, pass string) {
			key, err := m.home.Unlock([]byte(pass))
			if err != nil {
				m.fail(errors.New("wrong passphrase"))
				return
			}
			sk, err := m.home.SigningKey(key)
			if err != nil {
				m.fail(err)
				return
			}
			done, err := m.home.WriteOutbox(out, sk)
			if err != nil {
				m.fail(err)
				return
			}
			m.flash("Wrote %s: %d reply(ies), %d status change(s). Carry it to the server.", term.Line(out), len(done.Replies), len(done.Statuses))
		})
	})
}

// View implements tea.Model.
func (m *Model) View() string {
	var b strings.Builder
	switch m.screen {
	case screenSources:
		b.WriteString(titleStyle.Render("Candor review — sources") + "\n\n")
		if len(m.sources) == 0 {
			b.WriteString("No sources yet. Import an export bundle with \"candor-review import BUNDLE\".\n")
		}
		for i, s := range m.sources {
			status := s.Status
			if status == "" {
				status = "no status"
			}
			line := fmt.Sprintf(" %-28s %-30s %3d item(s) ", term.Line(s.Designation), term.Line(status), len(s.Items))
			if i == m.srcCur {
				line = selStyle.Render(line)
			}
			b.WriteString(line + "\n")
		}
		b.WriteString("\n" + helpStyle.Render("↑/↓ move · enter open · o write outbox · q quit") + "\n")
	case screenItems:
		s := m.curSource()
		b.WriteString(titleStyle.Render(fmt.Sprintf("%s — %s", term.Line(s.Designation), term.Line(s.Status))) + "\n\n")
		for i, it := range s.Items {
			what := it.Kind
			if it.Kind == "file" {
				what = "file  " + term.Line(it.Filename)
			}
			line := fmt.Sprintf(" %s  %s  %s ", it.ID[:8], term.Line(it.Day), what)
			if i == m.itemCur {
				line = selStyle.Render(line)
			}
			b.WriteString(line + "\n")
		}
		b.WriteString("\n" + helpStyle.Render("enter read · r reply · s set status · esc back · q quit") + "\n")
	case screenItem:
		lines := strings.Split(m.itemText, "\n")
		page := max(1, m.height-4)
		end := min(len(lines), m.scroll+page)
		b.WriteString(strings.Join(lines[m.scroll:end], "\n") + "\n")
		b.WriteString(helpStyle.Render("↑/↓ scroll · e export attachment · r reply · esc back") + "\n")
	case screenCompose:
		s := m.curSource()
		b.WriteString(titleStyle.Render("Reply to "+term.Line(s.Designation)) + "\n")
		b.WriteString(helpStyle.Render("It is encrypted to the source and to your submission key. ctrl+s queue · esc discard") + "\n\n")
		b.WriteString(term.Sanitize(string(m.compose)) + "█\n")
	case screenStatus:
		s := m.curSource()
		b.WriteString(titleStyle.Render("Case status of "+term.Line(s.Designation)) + "\n\n")
		for i, st := range workspace.Statuses {
			line := " " + st + " "
			if i == m.statusCur {
				line = selStyle.Render(line)
			}
			b.WriteString(line + "\n")
		}
		b.WriteString("\n" + helpStyle.Render("enter queue · esc cancel") + "\n")
	case screenPrompt:
		v := string(m.prompt.value)
		if m.prompt.secret {
			v = strings.Repeat("•", len(m.prompt.value))
		}
		b.WriteString(m.prompt.question + term.Line(v) + "█\n\n" + helpStyle.Render("enter confirm · esc cancel") + "\n")
	}
	if m.message != "" {
		if m.isError {
			b.WriteString("\n" + errStyle.Render("Error: "+m.message) + "\n")
		} else {
			b.WriteString("\n" + m.message + "\n")
		}
	}
	return b.String()
}
