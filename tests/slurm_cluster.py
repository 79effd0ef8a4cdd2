# slurm_cluster.py: a real single-node Slurm cluster on loopback, for the
# Slurm provider's tests
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Debian 12's Slurm 22.05: munged, slurmctld, slurmd and slurmrestd (with
# the v0.0.38 OpenAPI plugin and JWT authentication), all in a temporary
# folder with ports of their own, started in about five seconds and
# stopped by their pids when the tests end. The recipe is the one in the
# project's shared docs ("A real single-node Slurm cluster on loopback"),
# with a munged of its own (its own key and socket) so that nothing of the
# machine's munge is touched.
#
# It needs root: slurmd runs batch jobs as their user, here root, and
# munged runs as the munge user. Standard library only.

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import urllib.error
import urllib.request

PACKAGES = ('slurmctld', 'slurmd', 'slurmrestd', 'slurm-client', 'slurm-wlm-jwt-plugin', 'munge')
PROGRAMS = ('/usr/sbin/munged', '/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/slurmrestd',
            '/usr/bin/scontrol', '/usr/bin/sinfo', '/usr/bin/scancel', '/usr/bin/squeue')
API = 'v0.0.38'
# The node's size: two CPUs (the machine's), memory and two "GPUs" Slurm
# counts as a generic resource (gres/gpu on /dev/null and /dev/zero), so
# that a job's GPU request is real Slurm scheduling.
CPUS = 2
MEMORY_MB = 2000
GPUS = 2
START_TIMEOUT = 30.0


def unavailable_reason():
    """Why this machine cannot run the cluster, or None."""
    missing = [p for p in PROGRAMS if not os.access(p, os.X_OK)]
    if missing:
        return ('Slurm is not installed (%s missing); install it with: apt-get install -y '
                '--no-install-recommends %s' % (', '.join(missing), ' '.join(PACKAGES)))
    if not glob.glob('/usr/lib/*/slurm-wlm/auth_jwt.so') and not glob.glob('/usr/lib*/slurm*/auth_jwt.so'):
        return 'the JWT plugin is not installed (apt-get install slurm-wlm-jwt-plugin)'
    if os.geteuid() != 0:
        return 'the Slurm tests start slurmd and munged, which needs root'
    try:
        pwd.getpwnam('munge')
    except KeyError:
        return 'there is no munge user (the munge package makes it)'
    return None


def skip_or_fail():
    """Raises SkipTest with the reason locally; in CI ($CI set) a machine
    that cannot run Slurm fails the tests instead."""
    reason = unavailable_reason()
    if reason is None:
        return
    if os.environ.get('CI'):
        raise AssertionError('CI must run the Slurm tests, but ' + reason)
    raise unittest.SkipTest(reason)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def alive(pid):
    if not pid:
        return False
    try:
        with open('/proc/%d/stat' % pid) as f:
            state = f.read().rsplit(')', 1)[1].split()[0]
        return state not in ('Z', 'X')
    except (OSError, IndexError):
        return False


def stop_pid(pid, timeout=10.0):
    """SIGTERM, then SIGKILL after @timeout; waits for the end."""
    if not alive(pid):
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + timeout
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    if alive(pid):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + 5
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)


class SlurmCluster:
    """One single-node cluster. start() returns when slurmrestd answers."""

    def __init__(self):
        self.dir = None
        self.host = socket.gethostname().split('.')[0]
        self.ctld_port = self.slurmd_port = self.rest_port = None
        self.rest_proc = None
        self.env = None
        self.started = False

    # Paths

    def path(self, *parts):
        return os.path.join(self.dir, *parts)

    @property
    def conf(self):
        return self.path('slurm.conf')

    @property
    def url(self):
        return 'http://127.0.0.1:%d' % self.rest_port

    # Starting

    def _write_config(self):
        conf = '\n'.join([
            'ClusterName=lora',
            # By address: a container's host name need not resolve.
            'SlurmctldHost=%s(127.0.0.1)' % self.host,
            'AuthType=auth/munge',
            'AuthInfo=socket=%s' % self.path('munge', 'munge.socket'),
            'AuthAltTypes=auth/jwt',
            'AuthAltParameters=jwt_key=%s' % self.path('jwt.key'),
            'SlurmUser=root',
            'SlurmdUser=root',
            'StateSaveLocation=%s' % self.path('state'),
            'SlurmdSpoolDir=%s' % self.path('spool'),
            'SlurmctldPidFile=%s' % self.path('slurmctld.pid'),
            'SlurmdPidFile=%s' % self.path('slurmd.pid'),
            'SlurmctldLogFile=%s' % self.path('slurmctld.log'),
            'SlurmdLogFile=%s' % self.path('slurmd.log'),
            'SlurmctldPort=%d' % self.ctld_port,
            'SlurmdPort=%d' % self.slurmd_port,
            'ProctrackType=proctrack/linuxproc',
            'TaskPlugin=task/none',
            'JobAcctGatherType=jobacct_gather/none',
            'SelectType=select/cons_tres',
            'MpiDefault=none',
            'MailProg=/bin/true',
            'ReturnToService=2',
            # The node is what this file says, whatever the machine has:
            # the same two CPUs on a CI runner with one or with sixteen.
            'SlurmdParameters=config_overrides',
            # A job that asks for no memory gets a little, not the node's all.
            'DefMemPerCPU=100',
            # Slurm's cancel: SIGTERM, this many seconds, SIGKILL.
            'KillWait=1',
            # Over its time limit is over it: TIMEOUT, no grace minutes.
            'OverTimeLimit=0',
            'GresTypes=gpu',
            'NodeName=%s NodeAddr=127.0.0.1 CPUs=%d RealMemory=%d Gres=gpu:%d State=UNKNOWN'
            % (self.host, CPUS, MEMORY_MB, GPUS),
            'PartitionName=gpu Nodes=%s Default=YES MaxTime=INFINITE State=UP' % self.host,
            '',
        ])
        with open(self.conf, 'w') as f:
            f.write(conf)
        os.chmod(self.conf, 0o644)
        with open(self.path('gres.conf'), 'w') as f:
            f.write('NodeName=%s Name=gpu File=/dev/null,/dev/zero\n' % self.host)
        os.chmod(self.path('gres.conf'), 0o644)
        with open(self.path('jwt.key'), 'wb') as f:
            f.write(os.urandom(32))
        os.chmod(self.path('jwt.key'), 0o600)

    def _start_munge(self):
        munge = pwd.getpwnam('munge')
        mdir = self.path('munge')
        os.mkdir(mdir)
        # munged insists: its socket's folder executable by all, its key
        # readable by it alone.
        os.chmod(mdir, 0o711)
        key = os.path.join(mdir, 'munge.key')
        with open(key, 'wb') as f:
            f.write(os.urandom(1024))
        os.chmod(key, 0o400)
        for p in (mdir, key):
            os.chown(p, munge.pw_uid, munge.pw_gid)
        cmd = ['/usr/sbin/munged', '--socket=%s' % os.path.join(mdir, 'munge.socket'),
               '--key-file=%s' % key, '--pid-file=%s' % os.path.join(mdir, 'munged.pid'),
               '--log-file=%s' % os.path.join(mdir, 'munged.log'),
               '--seed-file=%s' % os.path.join(mdir, 'munged.seed')]
        # As the munge user (the recipe's `su -s /bin/sh munge -c munged`).
        r = subprocess.run(['/usr/sbin/runuser', '-u', 'munge', '--'] + cmd if os.path.exists('/usr/sbin/runuser')
                           else ['su', '-s', '/bin/sh', 'munge', '-c', ' '.join(cmd)],
                           capture_output=True, timeout=20)
        if r.returncode != 0:
            raise RuntimeError('munged did not start: %s %s' % (r.stderr.decode('utf-8', 'replace'),
                                                               self.log_tail('munge/munged.log')))

    def start(self):
        reason = unavailable_reason()
        if reason is not None:
            raise RuntimeError(reason)
        self.dir = tempfile.mkdtemp(prefix='lora-slurm-')
        # munged (as munge) and slurmrestd (as nobody) read in here.
        os.chmod(self.dir, 0o755)
        for sub in ('state', 'spool', 'work'):
            os.mkdir(self.path(sub))
        os.chmod(self.path('work'), 0o777)
        self.ctld_port, self.slurmd_port, self.rest_port = free_port(), free_port(), free_port()
        self.env = dict(os.environ, SLURM_CONF=self.conf)
        self.env.pop('SLURM_JWT', None)
        try:
            self._write_config()
            self._start_munge()
            self._run(['/usr/sbin/slurmctld', '-f', self.conf])
            self._run(['/usr/sbin/slurmd', '-f', self.conf])
            self._wait_for_node()
            self.start_rest()
            self.started = True
        except BaseException:
            self.stop()
            raise
        return self

    def _run(self, args, timeout=30, check=True):
        r = subprocess.run(args, env=self.env, capture_output=True, timeout=timeout)
        if check and r.returncode != 0:
            raise RuntimeError('%s failed (%d): %s%s' % (' '.join(args), r.returncode,
                                                         r.stderr.decode('utf-8', 'replace'),
                                                         self.log_tail('slurmctld.log')))
        return r.stdout.decode('utf-8', 'replace')

    def _wait_for_node(self):
        deadline = time.monotonic() + START_TIMEOUT
        state = None
        while time.monotonic() < deadline:
            r = subprocess.run(['/usr/bin/sinfo', '-h', '-o', '%T'], env=self.env, capture_output=True, timeout=20)
            state = r.stdout.decode().strip()
            if r.returncode == 0 and state == 'idle':
                return
            time.sleep(0.2)
        raise RuntimeError('the Slurm node did not become idle (%r): %s %s'
                           % (state, self.log_tail('slurmctld.log'), self.log_tail('slurmd.log')))

    def start_rest(self):
        """Starts slurmrestd (again); returns when it answers."""
        assert self.rest_proc is None or self.rest_proc.poll() is not None
        env = dict(self.env, SLURM_JWT='daemon')
        log = open(self.path('slurmrestd.log'), 'ab')
        # The REST daemon refuses to run as root.
        self.rest_proc = subprocess.Popen(['/usr/sbin/slurmrestd', '-a', 'rest_auth/jwt', '-s', 'openapi/' + API,
                                           '-u', 'nobody', '-g', 'nogroup', '127.0.0.1:%d' % self.rest_port],
                                          env=env, stdout=log, stderr=log, stdin=subprocess.DEVNULL, cwd=self.dir)
        log.close()
        token = self.token()
        deadline = time.monotonic() + START_TIMEOUT
        last = None
        while time.monotonic() < deadline:
            if self.rest_proc.poll() is not None:
                raise RuntimeError('slurmrestd exited (%r): %s' % (self.rest_proc.returncode,
                                                                   self.log_tail('slurmrestd.log')))
            try:
                req = urllib.request.Request(self.url + '/slurm/%s/ping' % API,
                                             headers={'X-SLURM-USER-NAME': 'root', 'X-SLURM-USER-TOKEN': token})
                with urllib.request.urlopen(req, timeout=5) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError) as e:
                last = e
            time.sleep(0.1)
        raise RuntimeError('slurmrestd did not answer: %r %s' % (last, self.log_tail('slurmrestd.log')))

    def stop_rest(self):
        if self.rest_proc is not None and self.rest_proc.poll() is None:
            self.rest_proc.terminate()
            try:
                self.rest_proc.wait(10)
            except subprocess.TimeoutExpired:
                self.rest_proc.kill()
                self.rest_proc.wait()

    # Stopping

    def stop(self):
        """Stops every daemon by its pid and removes the folder."""
        if self.dir is None:
            return
        self.stop_rest()
        # Jobs first, so that slurmd leaves no batch job behind: a
        # slurmstepd whose slurmd is gone waits for it for ever.
        if alive(read_pid(self.path('slurmctld.pid'))) and alive(read_pid(self.path('slurmd.pid'))):
            subprocess.run(['/usr/bin/scancel', '-u', 'root'], env=self.env, capture_output=True, timeout=20)
            deadline = time.monotonic() + 15
            while time.monotonic() < deadline:
                r = subprocess.run(['/usr/bin/squeue', '-h', '-o', '%i'], env=self.env, capture_output=True, timeout=20)
                if r.returncode != 0 or not r.stdout.strip():
                    break
                time.sleep(0.2)
        for name in ('slurmd.pid', 'slurmctld.pid', 'munge/munged.pid'):
            stop_pid(read_pid(self.path(name)))
        self._kill_leftovers()
        keep = os.environ.get('LORA_KEEP_SLURM')
        if not keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        self.started = False

    def _kill_leftovers(self):
        """Whatever still runs with this cluster's SLURM_CONF (a slurmstepd,
        a batch job) was started by it: SIGKILL, by pid."""
        wanted = ('SLURM_CONF=%s' % self.conf).encode()
        for name in os.listdir('/proc'):
            if not name.isdigit() or int(name) == os.getpid():
                continue
            try:
                with open('/proc/%s/environ' % name, 'rb') as f:
                    environ = f.read().split(b'\0')
            except OSError:
                continue
            if wanted in environ:
                try:
                    os.kill(int(name), signal.SIGKILL)
                except ProcessLookupError:
                    pass

    # Using it

    def token(self, lifespan=3600, user='root'):
        out = self._run(['/usr/bin/scontrol', 'token', 'username=%s' % user, 'lifespan=%d' % lifespan])
        out = out.strip()
        assert out.startswith('SLURM_JWT='), out
        return out[len('SLURM_JWT='):]

    def write_token(self, path, lifespan=3600):
        token = self.token(lifespan)
        tmp = path + '.new'
        with open(tmp, 'w') as f:
            f.write('SLURM_JWT=%s\n' % token)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
        return token

    def scontrol(self, *args, check=True):
        return self._run(['/usr/bin/scontrol'] + list(args), check=check)

    def job_fields(self, job_id):
        """`scontrol show job -o ID` as a dict; {} when Slurm no longer has it."""
        r = subprocess.run(['/usr/bin/scontrol', 'show', 'job', '-o', str(job_id)], env=self.env,
                           capture_output=True, timeout=20)
        if r.returncode != 0:
            return {}
        fields = {}
        for item in r.stdout.decode('utf-8', 'replace').split():
            if '=' in item:
                k, v = item.split('=', 1)
                fields.setdefault(k, v)
        return fields

    def job_state(self, job_id):
        return self.job_fields(job_id).get('JobState')

    def scancel(self, job_id):
        self._run(['/usr/bin/scancel', str(job_id)])

    def log_tail(self, name, n=1500):
        if self.dir is None:
            return ''
        try:
            with open(self.path(name), 'rb') as f:
                return '\n[%s] ' % name + f.read()[-n:].decode('utf-8', 'replace')
        except OSError:
            return ''
