#!/usr/bin/python3
# test_atspi.py: walks lora-monitor's accessible tree through AT-SPI
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Starts a real lora-jobd (see jobd.py) with a simulated job that trains,
# runs the real lora-monitor on it with the AT-SPI bridge on, and then looks
# at the app only the way a screen reader does: through the accessibility
# bus, by role and accessible name. It finds the job page's progress text and
# the loss chart's description (and sees both follow the data after Refresh),
# drives the Cancel Job dialog through AT-SPI (button, drop-down, check box,
# confirm) and checks through the service's API that the job was cancelled
# for the chosen reason; then it goes back to the jobs list and finds the
# tabs, the filter controls, and the jobs table with its column headers and
# rows.
#
# Buttons and tabs are pressed by their AT-SPI actions. GTK 4.8 gives a
# GtkCheckButton and the rows of a GtkDropDown's popover no action and does
# not implement Component.GrabFocus, so those two are worked with keys typed
# through AT-SPI's device event controller (Tab, arrows, Return, space), as a
# keyboard-only screen reader user would; the test says so (SKIP lines) and
# uses the actions instead when a newer GTK has them.
#
# It runs on an X server and a D-Bus session of its own (Xvfb, dbus-daemon),
# so that keys it types cannot reach the windows of tests running beside it,
# and starts the AT-SPI bus there; without Xvfb it uses the suite's display
# and session, starting the AT-SPI bus launcher only when nothing owns
# org.a11y.Bus. It needs /usr/bin/python3 with pyatspi (python3-pyatspi) and
# exits 77 (skipped) without it or without a display.
#
# What GTK 4.8 exposes, and what this test therefore accepts, is written
# next to each check; run with -v to print the accessible tree of each part.

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from jobd import Jobd, status_event  # noqa: E402

SKIP = 77
LAUNCHER = '/usr/libexec/at-spi-bus-launcher'
VERBOSE = '-v' in sys.argv[1:] or bool(os.environ.get('LORA_ATSPI_VERBOSE'))

# A job that trains for minutes of real time: 2,000 steps at 80 steps an
# hour take 25 simulated hours, 450 s at --time-scale 200; the simulated
# set-up before training (about 1,000 s) takes 5 s.
TIME_SCALE = 200.0
SIM_CONFIG = {'steps_per_hour': 80}
SIM_STEPS = 2000
SIM_NAME = 'Llama 3 support assistant'

PROGRESS_RE = re.compile(r'^Training (\d+)% complete, Step ([\d,]+) of 2,000$')
COLUMN_TITLES = ['Job Name', 'Status', 'Created By', 'Started At', 'Duration', 'Cost', 'Actions']
TABS = ['All Jobs', 'Queue', 'Active', 'Completed']
REASON = 'Loss not decreasing'


def log(*args):
    print(*args, flush=True)


try:
    import gi
    gi.require_version('Atspi', '2.0')
    from gi.repository import Atspi, Gio, GLib
    import pyatspi
except (ImportError, ValueError) as e:
    log('SKIP: pyatspi or the Atspi typelib is missing (%s); install python3-pyatspi '
        'gir1.2-atspi-2.0 and run with /usr/bin/python3' % e)
    sys.exit(SKIP)


class Failures:
    def __init__(self):
        self.items = []
        self.skipped = []

    def fail(self, what, detail=''):
        log('FAIL: %s' % what)
        if detail:
            log(detail)
        self.items.append(what)

    def check(self, ok, what, detail=''):
        if ok:
            log('ok: %s' % what)
        else:
            self.fail(what, detail)
        return ok

    def skip(self, what, why):
        log('SKIP: %s: %s' % (what, why))
        self.skipped.append(what)


F = Failures()


# ---------------------------------------------------------------------------
# Reading the accessible tree. The app's cache mask is set to none, so every
# name, state and child list is read afresh over D-Bus: GTK 4.8 has no
# org.a11y.atspi.Cache, and libatspi would otherwise keep stale names.

def safe(fn, default=None):
    try:
        return fn()
    except Exception:  # noqa: BLE001 -- the object may be gone
        return default


def name(acc):
    return safe(lambda: acc.get_name(), '') or ''


def description(acc):
    return safe(lambda: acc.get_description(), '') or ''


def role(acc):
    return safe(lambda: acc.get_role(), None)


def role_name(acc):
    return safe(lambda: acc.get_role_name(), '?') or '?'


def states(acc):
    return safe(lambda: acc.get_state_set(), None)


def has_state(acc, state):
    s = states(acc)
    return s is not None and s.contains(state)


def showing(acc):
    return has_state(acc, pyatspi.STATE_SHOWING)


def children(acc):
    n = safe(lambda: acc.get_child_count(), 0) or 0
    out = []
    for i in range(n):
        c = safe(lambda i=i: acc.get_child_at_index(i))
        if c is not None:
            out.append(c)
    return out


def walk(acc, prune=None, depth=0, max_depth=60):
    """Depth first; @prune(acc) true skips that subtree."""
    yield acc, depth
    if depth >= max_depth or (prune is not None and depth > 0 and prune(acc)):
        return
    for c in children(acc):
        yield from walk(c, prune, depth + 1, max_depth)


def on_screen(acc):
    """Whether @acc takes room on screen. GTK 4.8 marks only windows
    "showing" and every widget "visible", the pages of a stack that are not
    shown included; what is not shown has an empty extent."""
    try:
        comp = acc.queryComponent()
    except NotImplementedError:
        return True
    ext = safe(lambda: comp.getExtents(pyatspi.WINDOW_COORDS))
    return ext is None or (ext.width > 0 and ext.height > 0)


def hidden(acc):
    """Subtrees a user cannot see."""
    return not on_screen(acc)


def find_all(root, pred, visible_only=True):
    prune = hidden if visible_only else None
    return [a for a, _ in walk(root, prune) if (not visible_only or on_screen(a)) and pred(a)]


def find(root, pred, visible_only=True):
    prune = hidden if visible_only else None
    for a, _ in walk(root, prune):
        if (not visible_only or on_screen(a)) and pred(a):
            return a
    return None


def wait_find(root, pred, timeout=15.0, what='an accessible', visible_only=True):
    deadline = time.monotonic() + timeout
    while True:
        found = find(root, pred, visible_only)
        if found is not None or time.monotonic() > deadline:
            if found is None:
                log('(not found within %.0f s: %s)' % (timeout, what))
            return found
        time.sleep(0.3)


def describe(acc):
    extra = []
    d = description(acc)
    if d:
        extra.append('description=%r' % d[:100])
    acts = action_names(acc)
    if acts:
        extra.append('actions=%s' % ','.join(acts[:6]))
    s = states(acc)
    if s is not None:
        flags = [n for n, st in (('showing', pyatspi.STATE_SHOWING), ('checked', pyatspi.STATE_CHECKED),
                                 ('selected', pyatspi.STATE_SELECTED), ('sensitive', pyatspi.STATE_SENSITIVE))
                 if s.contains(st)]
        extra.append('[%s]' % ' '.join(flags))
    return '%s %r %s' % (role_name(acc), name(acc), ' '.join(extra))


def dump(acc, max_depth=12, limit=400, visible_only=True):
    """The subtree as indented text, for failure messages."""
    lines = []
    base = None
    for a, depth in walk(acc, hidden if visible_only else None, max_depth=max_depth):
        if base is None:
            base = depth
        if visible_only and depth > 0 and not on_screen(a):
            continue
        lines.append('  ' * (depth - base) + describe(a))
        if len(lines) >= limit:
            lines.append('  …')
            break
    return '\n'.join(lines)


def query(acc, iface):
    """pyatspi's query<Iface>() or None."""
    try:
        return getattr(acc, 'query' + iface)()
    except Exception:  # noqa: BLE001 -- NotImplementedError, or gone
        return None


def action_names(acc):
    act = query(acc, 'Action')
    if act is None:
        return []
    n = safe(lambda: act.nActions, 0) or 0
    return [safe(lambda i=i: act.getName(i), '?') for i in range(n)]


def do_action(acc, preferred=('click', 'activate', 'press', 'toggle')):
    """Runs the accessible's first action of those named in @preferred, or
    its action 0; returns the name of the action run, or None."""
    act = query(acc, 'Action')
    if act is None:
        return None
    names = action_names(acc)
    index = 0
    for p in preferred:
        if p in names:
            index = names.index(p)
            break
    if not names:
        return None
    ok = safe(lambda: act.doAction(index), False)
    return names[index] if ok else None


def plain(text):
    """An accessible name without mnemonic underscores, GTK 4.8 sometimes
    leaves them in ("_Retry Retry")."""
    return text.replace('_', '')


def label_text(acc):
    """The names of the labels below @acc, in order."""
    return [name(a) for a, _ in walk(acc, max_depth=8) if role(a) == pyatspi.ROLE_LABEL and name(a)]


# ---------------------------------------------------------------------------
# The accessibility bus

class A11yBus:
    """The AT-SPI bus of this D-Bus session: the one that runs, or one
    started here (and stopped at the end) when nothing owns org.a11y.Bus."""

    def __init__(self):
        self.proc = None
        self.runtime_dir = None

    def _has_owner(self, session):
        reply = session.call_sync('org.freedesktop.DBus', '/org/freedesktop/DBus', 'org.freedesktop.DBus',
                                  'NameHasOwner', GLib.Variant('(s)', ('org.a11y.Bus',)),
                                  GLib.VariantType('(b)'), Gio.DBusCallFlags.NONE, 5000, None)
        return reply.unpack()[0]

    def _address(self, session):
        try:
            reply = session.call_sync('org.a11y.Bus', '/org/a11y/bus', 'org.a11y.Bus', 'GetAddress', None,
                                      GLib.VariantType('(s)'), Gio.DBusCallFlags.NONE, 5000, None)
            return reply.unpack()[0]
        except GLib.Error:
            return None

    def start(self):
        session = Gio.bus_get_sync(Gio.BusType.SESSION, None)
        if self._has_owner(session):
            log('AT-SPI bus: already running at %s' % self._address(session))
            return
        if not os.access(LAUNCHER, os.X_OK):
            log('SKIP: %s is missing (package at-spi2-core)' % LAUNCHER)
            sys.exit(SKIP)
        # Its socket goes into a directory of our own: the default one,
        # ~/.cache/at-spi/bus_<display>, may still be held by the bus of an
        # earlier run on the same display number.
        self.runtime_dir = tempfile.mkdtemp(prefix='lora-atspi-')
        env = dict(os.environ, XDG_RUNTIME_DIR=self.runtime_dir)
        self.proc = subprocess.Popen([LAUNCHER, '--launch-immediately'], env=env,
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 10
        while not self._has_owner(session):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError('at-spi-bus-launcher did not start (exit %r)' % self.proc.poll())
            time.sleep(0.05)
        log('AT-SPI bus: started at %s' % self._address(session))

    def stop(self):
        if self.proc is not None:
            # The launcher, its dbus-daemon and the registry it activates
            # share the launcher's process group.
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
            self.proc = None
        if self.runtime_dir:
            shutil.rmtree(self.runtime_dir, ignore_errors=True)
            self.runtime_dir = None


# ---------------------------------------------------------------------------
# The app

class Monitor:
    def __init__(self, jobd, job_id):
        self.tmpdir = tempfile.TemporaryDirectory(prefix='lora-monitor-atspi-')
        self.err_path = os.path.join(self.tmpdir.name, 'stderr.txt')
        env = dict(os.environ)
        env.pop('NO_AT_BRIDGE', None)  # the widget tests' env turns the bridge off
        env.pop('GTK_A11Y', None)
        env['LORA_TOKEN'] = jobd.token
        env['LC_ALL'] = 'C.UTF-8'
        env.pop('LANGUAGE', None)
        env['TZ'] = 'UTC'
        # Nothing from the user's own configuration or data.
        for var, sub in (('XDG_CONFIG_HOME', 'config'), ('XDG_DATA_HOME', 'data'), ('XDG_CACHE_HOME', 'cache')):
            env[var] = os.path.join(self.tmpdir.name, sub)
        binary = os.environ.get('LORA_MONITOR') or os.path.join(
            os.path.dirname(os.path.abspath(__file__)), '..', 'build', 'src', 'monitor', 'lora-monitor')
        args = [binary, '--service', jobd.url, '--job', str(job_id)]
        log('starting %s' % ' '.join(args))
        with open(self.err_path, 'wb') as err:
            self.proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL,
                                         stdout=err, stderr=err, start_new_session=True)

    def alive(self):
        return self.proc.poll() is None

    def output(self):
        try:
            with open(self.err_path, 'rb') as f:
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def close(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.tmpdir.cleanup()

    def find_accessible_app(self, timeout=30.0):
        desktop = Atspi.get_desktop(0)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            # Let libatspi handle what came in (the registry announces new
            # applications), and read the desktop's children afresh.
            context = GLib.MainContext.default()
            while context.iteration(False):
                pass
            desktop.clear_cache()
            if not self.alive():
                raise RuntimeError('lora-monitor exited with %r:\n%s' % (self.proc.returncode, self.output()))
            for app in children(desktop):
                if safe(lambda: app.get_process_id()) == self.proc.pid or name(app) == 'lora-monitor':
                    if safe(lambda: app.get_process_id()) not in (None, self.proc.pid):
                        continue
                    app.set_cache_mask(Atspi.Cache.NONE)
                    return app
            time.sleep(0.2)
        names = [name(a) for a in children(desktop)]
        raise RuntimeError('lora-monitor did not appear on the AT-SPI desktop within %.0f s '
                           '(applications there: %r)' % (timeout, names))


def main_window(app):
    for w in children(app):
        if name(w) == 'LoRA Pipeline Monitor':
            return w
    return None


def window_named(app, title):
    """The app's window titled @title. (GTK 4.8 marks a window "showing"
    only while it is the active one, and presents an AdwWindow as a filler,
    not a frame or dialog.)"""
    for w in children(app):
        if name(w) == title and on_screen(w):
            return w
    return None


# ---------------------------------------------------------------------------
# The checks

def check_job_page(win):
    log('\n== The job page')
    # GTK 4.8 names a widget without a label after its class.
    page = find(win, lambda a: name(a) == 'LmJobPage')
    # The progress bar's accessible name is the progress in words; it
    # follows the job as the app refreshes.
    progress = None
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        bar = find(win, lambda a: role(a) == pyatspi.ROLE_PROGRESS_BAR)
        text = name(bar) if bar is not None else None
        if text and PROGRESS_RE.match(text) and PROGRESS_RE.match(text).group(2) != '0':
            progress = text
            break
        time.sleep(0.5)
    bars = find_all(win, lambda a: role(a) == pyatspi.ROLE_PROGRESS_BAR)
    F.check(progress is not None,
            'progress bar named like "Training 42%% complete, Step 850 of 2,000" (got %r)'
            % [name(b) for b in bars],
            '' if progress else dump(page or win, max_depth=14, limit=120))
    if progress:
        log('   progress bar: %r' % progress)

    # The loss plot: an image labelled "Loss curve" whose description is
    # the chart in words, and changes with the data.
    plot = wait_find(win, lambda a: name(a) == 'Loss curve' and role(a) != pyatspi.ROLE_HEADING,
                     what='the loss plot')
    first = None
    if plot is not None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not description(plot).startswith('Training loss'):
            time.sleep(0.5)
        first = description(plot)
        log('   loss plot: %s %r, description %r' % (role_name(plot), name(plot), first))
    F.check(plot is not None and first.startswith('Training loss'),
            'loss chart "Loss curve" with a description starting "Training loss"',
            '' if plot is not None else dump(win, max_depth=30, limit=200))

    # The page polls every minute; its Refresh button fetches now. The
    # progress text and the chart's description follow the new data.
    refresh = find(page or win, lambda a: role(a) == pyatspi.ROLE_PUSH_BUTTON and name(a) == 'Refresh')
    if F.check(refresh is not None, 'a "Refresh" button on the job page') and plot is not None and progress:
        time.sleep(2.5)  # a few more steps (about 4 a second)
        log('   pressing Refresh: %s' % do_action(refresh))
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and (description(plot) == first or name(bar) == progress):
            time.sleep(0.3)
        later, later_progress = description(plot), name(bar)
        F.check(later != first and later.startswith('Training loss'),
                'the loss chart description changed with the data (%r -> %r)' % (first, later))
        F.check(later_progress != progress and PROGRESS_RE.match(later_progress or ''),
                'the progress text changed with the data (%r -> %r)' % (progress, later_progress))
    return plot


KEY_RETURN = 0xff0d
KEY_SPACE = 0x20


KEY_DOWN = 0xff54
KEY_UP = 0xff52
KEY_TAB = 0xff09


def type_key(keysym):
    """Types a key through AT-SPI's device event controller (the registry
    synthesizes it with XTest), as a screen reader or a switch device
    does; for controls that GTK 4.8 gives no action. GTK 4.8 does not
    implement Component.GrabFocus either, so the focus moves by keys."""
    ok = safe(lambda: pyatspi.Registry.generateKeyboardEvent(keysym, None, pyatspi.KEY_SYM), False)
    time.sleep(0.15)
    return ok is not False


def focused(root):
    return find(root, lambda a: has_state(a, pyatspi.STATE_FOCUSED))


def wait_focus(root, pred, timeout=3.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        f = focused(root)
        if f is not None and pred(f):
            return f
        time.sleep(0.1)
    return None


def combo_shows(combo):
    """The text a drop-down shows on its button."""
    button = find(combo, lambda a: role(a) in (pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON))
    return [name(a) for a in find_all(button or combo, lambda a: role(a) == pyatspi.ROLE_LABEL and bool(name(a)))]


def choose_reason(dialog, combo):
    """Opens the reason drop-down and picks REASON through AT-SPI. Returns
    how it was done, or None."""
    # GTK 4.8 presents a GtkDropDown as a combo box whose only child with
    # an action is its toggle button; the choices live in a popover list
    # below it that exists only while it is open.
    toggle = find(combo, lambda a: role(a) in (pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON)
                  and bool(action_names(a)))
    if toggle is None:
        log('   the reason drop-down has no button with an action:\n' + dump(combo, visible_only=False))
        return None
    log('   shows %r; opening it through its button %r (%s)' % (combo_shows(combo), name(toggle), do_action(toggle)))

    def reason_item(a):
        return role(a) in (pyatspi.ROLE_LIST_ITEM, pyatspi.ROLE_TABLE_ROW, pyatspi.ROLE_MENU_ITEM) \
            and label_text(a)[:1] == [REASON]

    app = safe(lambda: dialog.get_application())
    item = None
    deadline = time.monotonic() + 10
    while item is None and time.monotonic() < deadline:
        for root in [combo] + children(app):
            item = find(root, reason_item)
            if item is not None:
                break
        if item is None:
            time.sleep(0.3)
    if item is None:
        log('   no item "%s" appeared:\n%s' % (REASON, dump(combo, max_depth=40, limit=300)))
        return None
    parent = safe(lambda: item.get_parent())
    log('   the choice: %s in %s' % (describe(item), describe(parent) if parent else '?'))

    def chosen():
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            if REASON in combo_shows(combo):
                return True
            time.sleep(0.1)
        return False

    # 1. The item's own action, as a screen reader would "click" it.
    done = do_action(item, ('activate', 'click', 'select'))
    if done and chosen():
        return 'the item\'s action %r' % done
    F.skip('choosing a drop-down item by its action',
           'GTK %s gives the rows of a GtkDropDown\'s popover no action (actions: %r)'
           % (gtk_version(), action_names(item)))
    # 2. Selecting it in the list (Selection interface) moves only the
    #    popover's selection in GTK 4.8: the drop-down takes a choice when
    #    a row is activated. So: focus the row and press Return, through
    #    AT-SPI's Component and keyboard synthesis.
    sel = query(parent, 'Selection') if parent is not None else None
    index = safe(lambda: item.get_index_in_parent(), -1)
    if sel is not None and index >= 0 and safe(lambda: sel.selectChild(index), False):
        log('   Selection.SelectChild(%d) selected it in the popover list (item selected: %s); '
            'the drop-down shows %r' % (index, has_state(item, pyatspi.STATE_SELECTED), combo_shows(combo)))
        if chosen():
            return 'Selection.SelectChild(%d) on the popover list' % index
    # The popover gave its list the focus; move it to the row by arrow
    # keys and activate it with Return.
    rows = [c for c in children(parent) if role(c) == role(item)]
    current = wait_focus(parent, lambda f: f in rows or safe(lambda: f.get_parent()) in rows)
    if current is None:
        f = focused(combo)
        log('   no row of the popover list has the focus (focused: %s)' % (describe(f) if f else None))
        return None
    if current not in rows:
        current = current.get_parent()
    steps = rows.index(item) - rows.index(current)
    for _ in range(abs(steps)):
        type_key(KEY_DOWN if steps > 0 else KEY_UP)
    type_key(KEY_RETURN)
    if chosen():
        return 'the arrow keys and Return (%d step%s), typed through AT-SPI' % (abs(steps), '' if abs(steps) == 1 else 's')
    log('   the drop-down still shows %r' % combo_shows(combo))
    return None


def tick(check):
    """Ticks a check box through AT-SPI; returns how, or None."""
    done = do_action(check, ('click', 'activate', 'toggle'))
    if done:
        return 'its action %r' % done
    F.skip('ticking the check box by its action',
           'GTK %s gives a GtkCheckButton no AT-SPI action (a GtkButton has "click")' % gtk_version())
    # The focus is on the drop-down; Tab moves it to the check box.
    for _ in range(4):
        if has_state(check, pyatspi.STATE_FOCUSED):
            break
        type_key(KEY_TAB)
    if not has_state(check, pyatspi.STATE_FOCUSED):
        f = focused(safe(lambda: check.get_parent()) or check)
        log('   Tab did not reach the check box (focused: %s)' % (describe(f) if f else None))
        return None
    type_key(KEY_SPACE)
    return 'Tab and space, typed through AT-SPI'


# Names a screen reader speaks: what it reads when focus or the review
# cursor lands there. GTK 4.8 names any widget without a label after its
# class ("GtkBox"), which Orca does not read for plain containers (fillers,
# panels), so those roles are left out; everything a user can reach or that
# carries content is in.
SPOKEN_ROLES = {
    pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_CHECK_BOX,
    pyatspi.ROLE_RADIO_BUTTON, pyatspi.ROLE_COMBO_BOX, pyatspi.ROLE_MENU_ITEM,
    pyatspi.ROLE_MENU, pyatspi.ROLE_ENTRY, pyatspi.ROLE_TEXT, pyatspi.ROLE_PAGE_TAB,
    pyatspi.ROLE_LINK, pyatspi.ROLE_TABLE_ROW, pyatspi.ROLE_LIST_ITEM, pyatspi.ROLE_TABLE,
    pyatspi.ROLE_TREE_TABLE, pyatspi.ROLE_LIST, pyatspi.ROLE_IMAGE, pyatspi.ROLE_LABEL,
    pyatspi.ROLE_HEADING, pyatspi.ROLE_PROGRESS_BAR, pyatspi.ROLE_SPIN_BUTTON,
    pyatspi.ROLE_SLIDER, pyatspi.ROLE_STATUS_BAR, pyatspi.ROLE_LEVEL_BAR,
    pyatspi.ROLE_SEPARATOR,
} - {None}
CLASS_NAME_RE = re.compile(r'\b(Gtk|Adw|Lm)[A-Z][A-Za-z]*\b')
# "_Retry", "C_lear": an underscore before a letter at a word's start or
# inside a capitalised word (not "gpu_util" in an event's text).
MNEMONIC_RE = re.compile(r'(^|\s)_[A-Za-z]|\b[A-Z][a-z]*_[a-z]')
# Roles whose name is a control's label, short and never a sentence: a
# capitalised word said twice there is a label read beside its tooltip.
CONTROL_ROLES = {
    pyatspi.ROLE_PUSH_BUTTON, pyatspi.ROLE_TOGGLE_BUTTON, pyatspi.ROLE_CHECK_BOX,
    pyatspi.ROLE_RADIO_BUTTON, pyatspi.ROLE_COMBO_BOX, pyatspi.ROLE_MENU_ITEM,
    pyatspi.ROLE_PAGE_TAB, pyatspi.ROLE_ENTRY, pyatspi.ROLE_SPIN_BUTTON,
}


def bad_name(text, control=True):
    """Why @text is a bad accessible name, or None. Issue 13: class names
    ("GtkToggleButton"), mnemonic underscores ("C_lear Filters") and doubled
    words or phrases ("Copy JSON Copy JSON", "Export all events as JSON
    Export JSON"), from a label and a tooltip or property both read."""
    if not text:
        return None
    if CLASS_NAME_RE.search(text):
        return 'a widget class name'
    if MNEMONIC_RE.search(text):
        return 'a mnemonic underscore'
    words = re.findall(r"[\w'’]+", text)
    half = len(words) // 2
    if half and len(words) % 2 == 0 and words[:half] == words[half:]:
        return 'a doubled phrase'
    # A capitalised word said twice is a label read beside its tooltip;
    # in content (an event's message) words repeat honestly.
    if not control:
        return None
    seen = set()
    for w in words:
        if len(w) >= 3 and w[0].isupper() and not w.isdigit():
            if w in seen:
                return 'the word %r twice' % w
            seen.add(w)
    return None


def check_names(root, where):
    """Every spoken accessible under @root, shown or not (a hidden error
    page is read once it shows), has a name fit to be read."""
    offenders = []
    for acc, _ in walk(root):
        if role(acc) not in SPOKEN_ROLES:
            continue
        why = bad_name(name(acc), role(acc) in CONTROL_ROLES)
        if why:
            path, up = [], safe(lambda: acc.get_parent())
            while up is not None and len(path) < 7:
                path.append('%s %r' % (role_name(up), name(up)[:30]))
                up = safe(lambda: up.get_parent())
            offenders.append('%s: %s (in %s; content %r)' % (describe(acc), why, ' < '.join(path),
                                                            label_text(acc)[:3]))
    offenders = sorted(set(offenders))
    F.check(not offenders, 'accessible names in %s are fit to be read (%d bad)' % (where, len(offenders)),
            '\n'.join('   ' + o for o in offenders[:60]))


def check_required(acc, what):
    # A reader must be told the field is required: by the AT-SPI state, or,
    # as GTK 4.8 maps the accessible property "required" to no state, by
    # the description the .ui sets. Neither fails; no skip would let a form
    # no reader can explain pass.
    if has_state(acc, pyatspi.STATE_REQUIRED):
        log('ok: %s is marked required (state)' % what)
        return
    F.check('required' in description(acc).lower(),
            '%s is marked required (no state in GTK %s; its description %r)'
            % (what, gtk_version(), description(acc)))


def drive_cancel_dialog(app, win, jobd, job_id):
    log('\n== The Cancel Job dialog, through AT-SPI actions alone')
    button = wait_find(win, lambda a: role(a) == pyatspi.ROLE_PUSH_BUTTON and plain(name(a)) == 'Cancel Job',
                       what='the Cancel Job button')
    if not F.check(button is not None, 'a "Cancel Job" push button on the job page'):
        log(dump(win, max_depth=12, limit=80))
        return
    log('   pressing %s: %s' % (describe(button), do_action(button)))

    dialog = None
    deadline = time.monotonic() + 10
    while dialog is None and time.monotonic() < deadline:
        dialog = window_named(app, 'Cancel Training Job')
        if dialog is None:
            time.sleep(0.2)
    if dialog is not None:
        # libadwaita 1.2's AdwWindow keeps GTK's generic role: a filler,
        # where a GtkWindow is a frame. accessible-role "dialog" in
        # lm-cancel-dialog.ui would make it a dialog.
        log('   dialog: %s' % describe(dialog))
    if not F.check(dialog is not None, 'the dialog "Cancel Training Job" opens',
                   'windows: %r' % [describe(w) for w in children(app)]):
        return
    if VERBOSE:
        log(dump(dialog, max_depth=40))

    heading = find(dialog, lambda a: role(a) == pyatspi.ROLE_HEADING)
    F.check(heading is not None and name(heading) == 'Cancel Training Job?',
            'the dialog has the heading "Cancel Training Job?" (got %r)' % (heading and name(heading)))

    # The reason: a combo box named by its label "Why are you cancelling?".
    combo = find(dialog, lambda a: role(a) == pyatspi.ROLE_COMBO_BOX)
    F.check(combo is not None and plain(name(combo)) == 'Why are you cancelling?',
            'the reason drop-down is a combo box named "Why are you cancelling?" (got %r)'
            % (combo and name(combo)))
    if combo is not None:
        check_required(combo, 'the reason drop-down')
        how = choose_reason(dialog, combo)
        F.check(how is not None and REASON in combo_shows(combo),
                'chose "%s" in the drop-down%s (it shows %r)'
                % (REASON, ' by ' + how if how else '', combo_shows(combo)))

    check = find(dialog, lambda a: role(a) == pyatspi.ROLE_CHECK_BOX)
    if F.check(check is not None and plain(name(check)) == 'I understand this action cannot be undone',
               'the check box "I understand this action cannot be undone" (got %r)' % (check and name(check))):
        check_required(check, 'the check box')
        log('   ticking it by %s' % tick(check))
        deadline = time.monotonic() + 5
        while not has_state(check, pyatspi.STATE_CHECKED) and time.monotonic() < deadline:
            time.sleep(0.1)
        F.check(has_state(check, pyatspi.STATE_CHECKED), 'the check box is checked')

    # The confirm button: by its name, or else by the label inside it.
    def confirm_button(a):
        return role(a) == pyatspi.ROLE_PUSH_BUTTON and (
            'Confirm Cancellation' in plain(name(a)) or 'Confirm Cancellation' in label_text(a))

    confirm = None
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        confirm = find(dialog, confirm_button)
        if confirm is not None and has_state(confirm, pyatspi.STATE_SENSITIVE):
            break
        time.sleep(0.2)
    if not F.check(confirm is not None and has_state(confirm, pyatspi.STATE_SENSITIVE),
                   'a sensitive "Confirm Cancellation" button (got %s)' % (confirm and describe(confirm))):
        log(dump(dialog, max_depth=40))
        return
    F.check(plain(name(confirm)).endswith('Confirm Cancellation') and not bad_name(name(confirm)),
            'the confirm button is named "Confirm Cancellation" (got %r)' % name(confirm))
    check_names(dialog, 'the Cancel Job dialog')
    log('   pressing %s: %s' % (describe(confirm), do_action(confirm)))

    try:
        job = jobd.wait_status(job_id, ('cancelled',), timeout=20)
    except AssertionError as e:
        F.fail('the service cancelled the job', str(e))
        return
    F.check(job['cancel_reason'] == 'loss_not_decreasing',
            'the service has the job cancelled with reason loss_not_decreasing (got %r by %r)'
            % (job['cancel_reason'], job.get('cancelled_by')))

    deadline = time.monotonic() + 10
    while window_named(app, 'Cancel Training Job') is not None and time.monotonic() < deadline:
        time.sleep(0.2)
    F.check(window_named(app, 'Cancel Training Job') is None, 'the dialog closes after the cancel')


def check_jobs_list(app, win, names):
    log('\n== The jobs list')
    back = find(win, lambda a: role(a) == pyatspi.ROLE_PUSH_BUTTON and name(a) == 'Back to Training Jobs')
    if F.check(back is not None, 'a "Back to Training Jobs" button on the job page'):
        log('   pressing it: %s' % do_action(back))

    # The tabs: an AdwViewSwitcher, a page tab list of page tabs.
    tablist = wait_find(win, lambda a: role(a) == pyatspi.ROLE_PAGE_TAB_LIST
                        and any(name(t) == 'All Jobs' for t in children(a)), what='the jobs tabs')
    tabs = [name(t) for t in children(tablist) if role(t) == pyatspi.ROLE_PAGE_TAB] if tablist else []
    log('   tabs: %r' % tabs)
    F.check(len(tabs) == 4 and all(t.startswith(w) for t, w in zip(tabs, TABS)),
            'page tabs All Jobs, Queue…, Active, Completed (got %r)' % tabs,
            '' if tablist else dump(win, max_depth=16, limit=150))
    selected = [name(t) for t in children(tablist) if has_state(t, pyatspi.STATE_SELECTED)] if tablist else []
    F.check(selected == ['All Jobs'], 'the tab "All Jobs" is the selected one (got %r)' % selected)

    table_widget = wait_find(win, lambda a: name(a) == 'LmJobsTable', what='the All Jobs table')
    scope = table_widget or win

    # The filters: two drop-downs named by their labels and the search entry.
    for label in ('Status', 'Date Range'):
        combo = find(scope, lambda a, label=label: role(a) == pyatspi.ROLE_COMBO_BOX and plain(name(a)) == label)
        F.check(combo is not None, 'the filter drop-down "%s" is a combo box' % label)
        if combo is not None:
            log('   %s shows %r' % (label, combo_shows(combo)))
    entry = find(scope, lambda a: role(a) == pyatspi.ROLE_ENTRY and name(a) == 'Search jobs by name')
    F.check(entry is not None, 'the search entry "Search jobs by name"')

    # The table. GTK 4.8 presents a GtkColumnView as a tree table whose
    # first child is the header row, then a list holding the rows.
    table = wait_find(scope, lambda a: role(a) in (pyatspi.ROLE_TREE_TABLE, pyatspi.ROLE_TABLE)
                      and name(a) == 'Training jobs', what='the jobs table')
    if not F.check(table is not None, 'the jobs table: a (tree) table named "Training jobs"',
                   dump(scope, max_depth=12, limit=150)):
        return
    log('   table: %s' % describe(table))
    if VERBOSE:
        log(dump(table, max_depth=8, limit=200))

    headers = find_all(table, lambda a: role(a) == pyatspi.ROLE_COLUMN_HEADER)
    if headers:
        titles = [name(h) or ' '.join(label_text(h)) for h in headers]
        F.check(titles == COLUMN_TITLES, 'column headers by role and name: %r' % titles)
    else:
        # GTK 4.8: a GtkColumnViewTitle has no role of its own (it shows as
        # a filler named after its class) and no name; its title is a label
        # inside it. GTK 4.10 and later present it as a column header.
        header_row = next((c for c in children(table) if role(c) == pyatspi.ROLE_TABLE_ROW), None)
        cells = children(header_row) if header_row is not None else []
        titles = [' '.join(label_text(c)) for c in cells]
        F.skip('column headers by role "column header"',
               'GTK %s presents the column titles as %r; reading their titles from the labels inside'
               % (gtk_version(), sorted({role_name(c) for c in cells})))
        F.check(titles == COLUMN_TITLES, 'the header row\'s titles, in order: %r' % titles,
                '' if cells else dump(table, max_depth=6, limit=80))

    rows = [r for r in find_all(table, lambda a: role(a) == pyatspi.ROLE_TABLE_ROW)
            if any(role(c) == pyatspi.ROLE_TABLE_CELL for c in children(r))]
    first_cells = []
    for r in rows:
        cells = [c for c in children(r) if role(c) == pyatspi.ROLE_TABLE_CELL]
        first_cells.append(' '.join(label_text(cells[0])) if cells else '')
        if VERBOSE or len(cells) != len(COLUMN_TITLES):
            log('   row: %r' % [' '.join(label_text(c)) for c in cells])
    log('   rows (first cells): %r' % first_cells)
    F.check(len(rows) == len(names) and set(first_cells) == set(names),
            'the table has a row per job, with table cells (got %r)' % first_cells)
    F.check(all(len([c for c in children(r) if role(c) == pyatspi.ROLE_TABLE_CELL]) == len(COLUMN_TITLES)
                for r in rows), 'every row has %d table cells' % len(COLUMN_TITLES))
    row_names = sorted({name(r) for r in rows})
    if row_names and all(n in ('', 'GtkListItemWidget') for n in row_names):
        log('   note: GTK 4.8 gives the rows no name of their own (%r); a screen reader reads '
            'their cells' % row_names)

    check_names(win, 'the jobs list')

    # A status badge says its meaning in words.
    sim_row = next((r for r, f in zip(rows, first_cells) if f == SIM_NAME), None)
    if sim_row is not None:
        badge = find(sim_row, lambda a: description(a).startswith('Status: '))
        F.check(badge is not None and description(badge) == 'Status: Cancelled',
                'the cancelled job\'s status badge says "Status: Cancelled" (got %r)'
                % (badge and description(badge)))

    # Tabs work through their action too.
    if tablist is not None:
        active = next((t for t in children(tablist) if name(t) == 'Active'), None)
        if active is not None:
            do_action(active)
            deadline = time.monotonic() + 5
            while not has_state(active, pyatspi.STATE_SELECTED) and time.monotonic() < deadline:
                time.sleep(0.1)
            F.check(has_state(active, pyatspi.STATE_SELECTED), 'the "Active" tab is selected by its action')


_gtk_version = []


def gtk_version():
    """The GTK the app was built with, for messages."""
    if not _gtk_version:
        try:
            out = subprocess.run(['pkg-config', '--modversion', 'gtk4'], capture_output=True,
                                 text=True, timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ''
        _gtk_version.append(out or '4')
    return _gtk_version[0]


def read_line(fd, timeout=10.0):
    """A line from the pipe @fd, read within @timeout."""
    import select
    data = b''
    deadline = time.monotonic() + timeout
    while b'\n' not in data and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 256)
        if not chunk:
            break
        data += chunk
    return data.decode('utf-8', 'replace').strip()


def run_isolated():
    """Runs this test again on an X server and a D-Bus session of its own.
    The suite runs tests in parallel on one Xvfb, and with no window manager
    the window mapped last takes the keyboard: keys this test types through
    AT-SPI must not land in another test's window, nor theirs in ours.
    Returns the exit code, or None when Xvfb or dbus-daemon is missing."""
    xvfb, dbus = shutil.which('Xvfb'), shutil.which('dbus-daemon')
    if xvfb is None or dbus is None:
        return None
    procs = []
    try:
        r, w = os.pipe()
        procs.append(subprocess.Popen([xvfb, '-displayfd', str(w), '-screen', '0', '1440x900x24',
                                       '-nolisten', 'tcp', '-noreset'], pass_fds=(w,),
                                      stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
        os.close(w)
        display = read_line(r)
        os.close(r)
        if not display.isdigit():
            log('could not start Xvfb (%r); using the display given' % display)
            return None
        r, w = os.pipe()
        procs.append(subprocess.Popen([dbus, '--session', '--nofork', '--print-address=%d' % w],
                                      pass_fds=(w,), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL, start_new_session=True))
        os.close(w)
        address = read_line(r)
        os.close(r)
        if not address:
            log('could not start a D-Bus session; using the one given')
            return None
        env = dict(os.environ, DISPLAY=':' + display, DBUS_SESSION_BUS_ADDRESS=address,
                   LORA_ATSPI_ISOLATED='1')
        for var in ('WAYLAND_DISPLAY', 'AT_SPI_BUS_ADDRESS', 'XAUTHORITY'):
            env.pop(var, None)
        log('running on the private display :%s and D-Bus session %s' % (display, address))
        return subprocess.run([sys.executable, os.path.abspath(__file__)] + sys.argv[1:], env=env).returncode
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()


def main():
    if not os.environ.get('LORA_ATSPI_ISOLATED'):
        code = run_isolated()
        if code is not None:
            return code
    if not os.environ.get('DISPLAY'):
        log('SKIP: no X display; run under xvfb-run')
        return SKIP
    if not os.environ.get('DBUS_SESSION_BUS_ADDRESS'):
        log('SKIP: no D-Bus session; run under dbus-run-session')
        return SKIP

    started = time.monotonic()
    bus = A11yBus()
    jobd = Jobd(time_scale=TIME_SCALE)
    monitor = None
    try:
        bus.start()
        jobd.start()
        # The job to watch and cancel, then enough others to fill the
        # three slots and queue one; one finished run for the history.
        sim, _ = jobd.create_job(name=SIM_NAME, provider='simulator', config=SIM_CONFIG,
                                 total_steps=SIM_STEPS, epochs=3)
        done, secret = jobd.create_external(name='Mistral summariser')
        jobd.webhook_ok(done['id'], secret, status_event('completed'))
        jobd.create_external(name='Phi-3 code review')
        jobd.create_external(name='Gemma translation')
        jobd.create_external(name='Qwen extraction')
        names = [SIM_NAME, 'Mistral summariser', 'Phi-3 code review', 'Gemma translation', 'Qwen extraction']
        jobd.wait_status(sim['id'], 'training', timeout=30)
        jobd.wait_for(lambda: jobd.job(sim['id'])['current_step'] > 0, timeout=20, what='the first steps')

        monitor = Monitor(jobd, sim['id'])
        app = monitor.find_accessible_app()
        log('application: %s (pid %s)' % (describe(app), safe(lambda: app.get_process_id())))
        win = None
        deadline = time.monotonic() + 15
        while win is None and time.monotonic() < deadline:
            win = main_window(app)
            if win is None:
                time.sleep(0.2)
        if win is None:
            F.fail('the main window "LoRA Pipeline Monitor"', dump(app, max_depth=2))
            return 1
        log('window: %s' % describe(win))

        check_job_page(win)
        check_names(win, 'the job page')
        drive_cancel_dialog(app, win, jobd, sim['id'])

        check_jobs_list(app, win, names)

        if not monitor.alive():
            F.fail('lora-monitor kept running (exit %r)' % monitor.proc.returncode, monitor.output()[-3000:])
    except Exception as e:  # noqa: BLE001 -- report and clean up
        import traceback
        traceback.print_exc()
        F.fail('unexpected error: %s' % e)
    finally:
        if monitor is not None:
            out = monitor.output()
            trouble = [line for line in out.splitlines() if '-CRITICAL **' in line]
            if trouble:
                F.fail('lora-monitor printed criticals', '\n'.join(trouble[:20]))
            if F.items and out:
                log('--- lora-monitor stderr (tail)\n' + out[-3000:])
            monitor.close()
        trouble = jobd.trouble()
        if trouble:
            F.fail('lora-jobd reported trouble', '\n'.join(trouble[:20]))
        jobd.close()
        bus.stop()

    log('\n%d failed, %d skipped, %.1f s' % (len(F.items), len(F.skipped), time.monotonic() - started))
    for f in F.items:
        log('  failed: %s' % f)
    return 1 if F.items else 0


if __name__ == '__main__':
    sys.exit(main())
