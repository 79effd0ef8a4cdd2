# lora_reporter.py: report a training run to lora-jobd through its webhook
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Python 3.8+ standard library only: copy this one file next to your
# training script.

"""Report a training run to lora-jobd, without ever blocking training.

A trainer started for a lora-jobd job (by the ``local`` provider, or by
hand for an ``external`` job) finds three variables in its environment::

    LORA_JOB_ID          the job's id
    LORA_WEBHOOK_URL     http://HOST:PORT/api/training/jobs/ID/webhook
    LORA_WEBHOOK_SECRET  the job's webhook secret (64 hex digits)

``Reporter()`` reads them; pass ``url=``, ``secret=``, ``job_id=`` to
override (``url`` may also be the service's base URL, ``http://HOST:PORT``,
together with ``job_id``). Without a URL or secret the reporter is
disabled (``reporter.enabled`` is False) and every method does nothing,
so a script runs the same with or without the service.

Typical use::

    from lora_reporter import Reporter

    reporter = Reporter()
    reporter.stage("preprocessing", "active", substatus="Tokenizing 242 conversations...")
    ...
    reporter.stage("model_loading", "active", substatus="Loading Llama 3 8B...")
    ...
    reporter.status("training")
    reporter.stage("training", "active")
    try:
        for step in range(1, total_steps + 1):
            loss = train_step()
            if step % 10 == 0:
                reporter.metrics(step, epoch=step / steps_per_epoch,
                                 train_loss=loss, learning_rate=lr)
            if step % 500 == 0:
                save(f"out/checkpoint-{step}")
                reporter.checkpoint(step, path=f"out/checkpoint-{step}")
            if reporter.stopped:        # cancelled in the app, or finished
                break
        else:
            reporter.stage("training", "completed")
            reporter.stage("finalization", "active", substatus="Saving adapters...")
            save("out/final")
            reporter.stage("finalization", "completed")
            reporter.status("completed")
    except BaseException as exc:
        reporter.error(f"{type(exc).__name__}: {exc}", exception=type(exc).__name__,
                       traceback=traceback.format_exc())
        reporter.status("failed", error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        reporter.close(timeout=30)

or, equivalently for the failure part, ``with Reporter() as reporter:``
(an exception leaving the block sends ``error`` and ``status failed``;
leaving it in any way closes the reporter).

How it works
------------

Each method builds one event (a unique ``event_id`` of the form
``RUNID-SEQ``, the time as ``ts``) and appends it to a bounded in-memory
queue; it never waits for the network. A daemon thread sends the queue as
``{"events": [...]}`` batches (at most ``batch_size`` events, and at least
every ``flush_interval`` seconds while there is something to send; ``status``
and ``error`` events are sent at once), signs each body with HMAC-SHA256 of
the job's secret (``X-Lora-Signature: sha256=HEX``) and posts it with
urllib.

* Network errors, timeouts, ``5xx`` and ``429`` are retried with the same
  body (the service ignores events it already has, so a batch whose reply
  was lost can be resent) after an exponential backoff with jitter
  (``backoff_base`` doubling up to ``backoff_max``), or after the
  ``Retry-After`` the server asked for.
* ``409`` means the job is finished or cancelled: ``reporter.stopped``
  becomes True, ``on_stop(reporter)`` is called once (from the sender
  thread), and every later event is dropped. Check ``reporter.stopped`` in
  the training loop and stop training. (A ``409`` saying that the job is
  still *queued* is retried instead, in case the trainer started before
  the service gave the job a slot.)
* ``400`` (an invalid event) splits the batch to find the offending events,
  which are logged and dropped; ``401`` (wrong secret), ``404`` (no such
  job) and other ``4xx`` are logged and the batch dropped.
* When the queue is full (``max_queue`` events), the oldest ``metrics``
  event is dropped to make room, then the oldest ``warning`` or
  ``checkpoint``; ``status``, ``stage`` and ``error`` events are never
  dropped for room.

JSON has no NaN or infinity: losses and learning rates that are not finite
are sent as the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``, which
the service accepts. Values may be Python numbers or anything ``float()``
accepts (numpy and torch scalars).

Call ``flush(timeout)`` to wait until everything queued so far is sent, and
``close(timeout)`` at the end (it is also called at interpreter exit, with
a short timeout). All methods may be called from any thread.
``reporter.stats`` counts requests, accepted events, duplicates, drops and
retries; messages go to the ``lora_reporter`` logger.
"""

import atexit
import collections
import datetime
import email.utils
import hashlib
import hmac
import http.client
import json
import logging
import math
import os
import random
import secrets
import threading
import time
import urllib.error
import urllib.request

__all__ = ['Reporter', 'sign']

log = logging.getLogger('lora_reporter')

STAGES = ('preprocessing', 'model_loading', 'training', 'finalization')
STAGE_STATUSES = ('pending', 'active', 'completed', 'failed')
JOB_STATUSES = ('training', 'completed', 'failed')

# Events sent as soon as they are queued.
_URGENT = frozenset(('status', 'error'))
# Which events make room in a full queue, first to last.
_DROP_ORDER = (('metrics',), ('warning', 'checkpoint'))

_MAX_MESSAGE = 2000
_MAX_SUBSTATUS = 500


def sign(secret, body):
    """The X-Lora-Signature value for @body (bytes) keyed with @secret."""
    return 'sha256=' + hmac.new(secret.encode('utf-8'), body, hashlib.sha256).hexdigest()


def _now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec='milliseconds')


def _clip(text, limit):
    text = str(text)
    return text if len(text) <= limit else text[:limit - 1] + '\u2026'


def _number(value):
    """A JSON-safe loss or rate: a float, "NaN", "Infinity", "-Infinity",
    or None when @value is None or not a number."""
    if value is None:
        return None
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    if math.isnan(value):
        return 'NaN'
    if math.isinf(value):
        return 'Infinity' if value > 0 else '-Infinity'
    return value


def _jsonable(value):
    """@value with non-finite floats as strings and unknown objects as
    their str(), so that the body is always valid JSON."""
    if isinstance(value, bool) or value is None or isinstance(value, (int, str)):
        return value
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, BaseException):
        return '%s: %s' % (type(value).__name__, value)
    try:                        # numpy / torch scalars
        return _number(float(value))
    except (TypeError, ValueError):
        return str(value)


def _retry_after(headers):
    """Seconds from a Retry-After header (seconds or an HTTP date), or None."""
    if headers is None:
        return None
    value = headers.get('Retry-After')
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


class _Entry:
    __slots__ = ('event', 'queued_at')

    def __init__(self, event, queued_at):
        self.event = event
        self.queued_at = queued_at


class Reporter:
    """Sends a trainer's events to a lora-jobd job; see the module's
    docstring.

    url, secret, job_id: default to $LORA_WEBHOOK_URL, $LORA_WEBHOOK_SECRET
        and $LORA_JOB_ID.
    run_id: the prefix of event ids; by default random, so two runs (or a
        restarted run) never collide.
    batch_size: at most this many events per request.
    flush_interval: queued events wait at most this long (seconds).
    max_queue: the bound of the queue.
    timeout: of one HTTP request (seconds).
    backoff_base, backoff_max: the first retry waits about backoff_base
        seconds, doubling each time up to backoff_max (with jitter).
    retry_after_max: a Retry-After longer than this is cut to it.
    give_up_after: drop a batch still failing after this many seconds
        (None: keep trying until close()).
    on_stop: called as on_stop(reporter) once, when the service answers
        409 (the job was cancelled or has finished).
    """

    def __init__(self, url=None, secret=None, job_id=None, *, run_id=None,
                 batch_size=100, flush_interval=2.0, max_queue=10000,
                 timeout=10.0, backoff_base=0.5, backoff_max=30.0,
                 retry_after_max=300.0, give_up_after=None, on_stop=None,
                 exit_timeout=5.0):
        env = os.environ
        if job_id is None:
            job_id = env.get('LORA_JOB_ID') or None
        if url is None:
            url = env.get('LORA_WEBHOOK_URL') or None
        if secret is None:
            secret = env.get('LORA_WEBHOOK_SECRET') or None
        self.job_id = int(job_id) if job_id is not None else None
        self.url = self._webhook_url(url, self.job_id)
        self.secret = secret
        self.enabled = bool(self.url and self.secret)
        if url and not self.url:
            log.warning('lora_reporter: %s is not a webhook URL and there is no job id; '
                        'reporting is off', url)

        self.run_id = run_id or '%s-%s' % (time.strftime('%Y%m%d%H%M%S', time.gmtime()),
                                           secrets.token_hex(3))
        self.batch_size = max(1, int(batch_size))
        self.flush_interval = float(flush_interval)
        self.max_queue = max(1, int(max_queue))
        self.timeout = float(timeout)
        self.backoff_base = float(backoff_base)
        self.backoff_max = float(backoff_max)
        self.retry_after_max = float(retry_after_max)
        self.give_up_after = give_up_after
        self.on_stop = on_stop
        self.exit_timeout = exit_timeout

        #: True once the service said the job takes no more events (409).
        self.stopped = False
        #: The service's message that stopped the reporter, if any.
        self.stop_reason = None
        #: Counters, for logs and tests.
        self.stats = collections.Counter()
        self._stats_lock = threading.Lock()

        self._seq = 0
        self._queue = collections.deque()
        self._inflight = 0
        self._flush_requested = False
        self._closing = False
        self._abort = threading.Event()     # set when close() ran out of time
        self._cond = threading.Condition(threading.Lock())
        self._thread = None
        self._atexit_registered = False

    # ------------------------------------------------------------------
    # Events

    def status(self, status, error=None, message=None):
        """The job's status: 'training', 'completed' or 'failed'."""
        if status not in JOB_STATUSES:
            raise ValueError('status must be one of %s' % ', '.join(JOB_STATUSES))
        data = {'status': status}
        if error is not None:
            data['error'] = _clip(error, _MAX_MESSAGE)
        return self._emit('status', data, message)

    def stage(self, stage, status, substatus=None, error=None, message=None):
        """A stage ('preprocessing', 'model_loading', 'training',
        'finalization') becomes 'active', 'completed', 'failed' or
        'pending'; @substatus is the progress line shown under it."""
        if stage not in STAGES:
            raise ValueError('stage must be one of %s' % ', '.join(STAGES))
        if status not in STAGE_STATUSES:
            raise ValueError('stage status must be one of %s' % ', '.join(STAGE_STATUSES))
        data = {'stage': stage, 'status': status}
        if substatus is not None:
            data['substatus'] = _clip(substatus, _MAX_SUBSTATUS)
        if error is not None:
            data['error'] = _clip(error, _MAX_MESSAGE)
        return self._emit('stage', data, message)

    def metrics(self, step, epoch=None, train_loss=None, val_loss=None,
                learning_rate=None, gpu_util=None, message=None, **extra):
        """Metrics at @step (an integer >= 0). @epoch is fractional (1.25 is
        a quarter into the second epoch). Losses and the learning rate may
        be NaN or infinite; @gpu_util is a percentage. Extra keyword
        arguments are kept in the event's payload."""
        step = int(step)
        if step < 0:
            raise ValueError('step must be >= 0')
        data = {'step': step}
        if epoch is not None:
            e = _number(epoch)
            if isinstance(e, float) and e >= 0:
                data['epoch'] = e
        for key, value in (('train_loss', train_loss), ('val_loss', val_loss),
                           ('learning_rate', learning_rate)):
            v = _number(value)
            if v is not None:
                data[key] = v
        if gpu_util is not None:
            g = _number(gpu_util)
            if isinstance(g, float):
                data['gpu_util'] = min(100.0, max(0.0, g))
        for key, value in extra.items():
            if key not in data:
                data[key] = _jsonable(value)
        return self._emit('metrics', data, message)

    def warning(self, message, **data):
        """A warning shown in the job's event log; keyword arguments are
        kept as its data."""
        return self._emit('warning', _jsonable(data), message)

    def error(self, message, **data):
        """An error shown in the job's event log. It does not fail the job:
        send status('failed', error=...) for that."""
        data = _jsonable(data)
        data.setdefault('error', _clip(message, _MAX_MESSAGE))
        return self._emit('error', data, message)

    def checkpoint(self, step, path=None, message=None, **extra):
        """A checkpoint saved at @step, to @path."""
        data = {'step': int(step)}
        if path is not None:
            data['path'] = str(path)
        for key, value in extra.items():
            data.setdefault(key, _jsonable(value))
        return self._emit('checkpoint', data, message)

    # ------------------------------------------------------------------
    # Control

    def flush(self, timeout=None):
        """Waits until every event queued so far is sent (or dropped), at
        most @timeout seconds (None: no limit). True if nothing is left."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            if not self._queue and not self._inflight:
                return True
            self._flush_requested = True
            self._cond.notify_all()
            while self._queue or self._inflight:
                if self._thread is None or not self._thread.is_alive():
                    return False
                if deadline is None:
                    self._cond.wait()
                else:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        return False
                    self._cond.wait(left)
            return True

    def close(self, timeout=10.0):
        """Sends what is queued (at most @timeout seconds), then stops the
        sender thread. Events reported after close() are dropped. True if
        everything was sent."""
        done = self.flush(timeout)
        with self._cond:
            self._closing = True
            if not done:
                dropped = len(self._queue)
                self._queue.clear()
                if dropped:
                    self._count('dropped', dropped)
                    log.warning('lora_reporter: %d events not sent before close()', dropped)
            self._cond.notify_all()
        if not done:
            self._abort.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(0.5 if not done else max(0.5, timeout or 0.5))
        if self._atexit_registered:
            try:
                atexit.unregister(self._at_exit)
            except Exception:
                pass
            self._atexit_registered = False
        return done

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if isinstance(exc, SystemExit) and exc.code in (None, 0):
            exc = None
        if exc is not None and not self.stopped:
            text = '%s: %s' % (exc_type.__name__, exc) if str(exc) else exc_type.__name__
            if isinstance(exc, KeyboardInterrupt):
                text = 'Interrupted (KeyboardInterrupt)'
            import traceback
            self.error(text, exception=exc_type.__name__,
                       traceback=''.join(traceback.format_exception(exc_type, exc, tb))[-8000:])
            self.status('failed', error=text)
        self.close()
        return False

    # ------------------------------------------------------------------
    # Internals

    @staticmethod
    def _webhook_url(url, job_id):
        if not url:
            return None
        url = url.strip()
        if url.rstrip('/').endswith('/webhook'):
            return url.rstrip('/')
        if job_id is None:
            return None
        return '%s/api/training/jobs/%d/webhook' % (url.rstrip('/'), job_id)

    def _emit(self, type_, data, message):
        if not self.enabled:
            return None
        with self._cond:
            if self.stopped or self._closing:
                self._count('dropped', 1)
                return None
            self._seq += 1
            event_id = '%s-%d' % (self.run_id, self._seq)
            event = {'event_id': event_id, 'type': type_, 'ts': _now_iso()}
            if message:
                event['message'] = _clip(message, _MAX_MESSAGE)
            if data:
                event['data'] = data
            if len(self._queue) >= self.max_queue:
                self._make_room(type_)
            if len(self._queue) >= self.max_queue and type_ in ('metrics', 'warning', 'checkpoint'):
                # Nothing less important to drop: drop this one.
                self._count('dropped', 1)
                self._count('dropped_' + type_, 1)
                return None
            self._queue.append(_Entry(event, time.monotonic()))
            self._count('queued', 1)
            if type_ in _URGENT:
                self._flush_requested = True
            self._ensure_thread()
            self._cond.notify_all()
            return event_id

    def _make_room(self, type_):
        """Drops the oldest event of the least important kind that is not
        more important than @type_ (called with the lock held)."""
        for kinds in _DROP_ORDER:
            for i, entry in enumerate(self._queue):
                if entry.event['type'] in kinds:
                    del self._queue[i]
                    self._count('dropped', 1)
                    self._count('dropped_' + entry.event['type'], 1)
                    if self.stats['dropped'] in (1, 10, 100, 1000) or self.stats['dropped'] % 10000 == 0:
                        log.warning('lora_reporter: queue full, %d events dropped so far',
                                    self.stats['dropped'])
                    return
            if type_ in kinds:
                return

    def _count(self, key, n=1):
        with self._stats_lock:
            self.stats[key] += n

    def _ensure_thread(self):
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name='lora-reporter', daemon=True)
            self._thread.start()
            if not self._atexit_registered:
                atexit.register(self._at_exit)
                self._atexit_registered = True

    def _at_exit(self):
        self._atexit_registered = False
        try:
            self.close(self.exit_timeout)
        except Exception:
            pass

    def _ready(self):
        if not self._queue:
            return False
        if self._flush_requested or self._closing or len(self._queue) >= self.batch_size:
            return True
        return time.monotonic() - self._queue[0].queued_at >= self.flush_interval

    def _run(self):
        while True:
            with self._cond:
                while not self._ready():
                    if self._closing and not self._queue:
                        return
                    if self._queue:
                        wait = self.flush_interval - (time.monotonic() - self._queue[0].queued_at)
                        self._cond.wait(max(0.001, wait))
                    else:
                        self._cond.wait()
                n = min(self.batch_size, len(self._queue))
                batch = [self._queue.popleft().event for _ in range(n)]
                self._inflight = n
                if not self._queue:
                    self._flush_requested = False
            try:
                self._send(batch)
            except Exception:                       # never let the thread die
                log.exception('lora_reporter: unexpected error; %d events dropped', len(batch))
                self._count('dropped', len(batch))
            finally:
                with self._cond:
                    self._inflight = 0
                    self._cond.notify_all()

    def _post(self, body):
        """One request; returns (status, headers, parsed body or None).
        Raises OSError or http.client.HTTPException on network errors."""
        req = urllib.request.Request(
            self.url, data=body, method='POST',
            headers={'Content-Type': 'application/json',
                     'X-Lora-Signature': sign(self.secret, body),
                     'User-Agent': 'lora-reporter/1'})
        self._count('requests', 1)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                status, headers, raw = resp.status, resp.headers, resp.read()
        except urllib.error.HTTPError as e:
            status, headers = e.code, e.headers
            try:
                raw = e.read()
            except Exception:
                raw = b''
            finally:
                e.close()
        try:
            parsed = json.loads(raw.decode('utf-8')) if raw else None
        except ValueError:
            parsed = None
        return status, headers, parsed

    @staticmethod
    def _error_message(parsed, status):
        try:
            return parsed['error']['message']
        except (TypeError, KeyError):
            return 'HTTP %d' % status

    def _backoff(self, attempt, retry_after):
        if retry_after is not None:
            return min(retry_after, self.retry_after_max)
        delay = min(self.backoff_max, self.backoff_base * (2 ** min(attempt, 30)))
        return delay * random.uniform(0.5, 1.0)

    def _send(self, batch):
        """Sends @batch until it is stored, refused, or given up."""
        body = json.dumps({'events': batch}, separators=(',', ':'), allow_nan=False,
                          ensure_ascii=False).encode('utf-8')
        started = time.monotonic()
        attempt = 0
        while True:
            if self.stopped or self._abort.is_set():
                self._count('dropped', len(batch))
                return
            retry_after = None
            try:
                status, headers, parsed = self._post(body)
            except (OSError, http.client.HTTPException) as e:
                reason = getattr(e, 'reason', None) or e
                log.info('lora_reporter: %s; will retry', reason)
                status = None
            else:
                if status == 202 or 200 <= status < 300:
                    parsed = parsed if isinstance(parsed, dict) else {}
                    self._count('sent', len(batch))
                    self._count('accepted', int(parsed.get('accepted', 0) or 0))
                    self._count('duplicates', int(parsed.get('duplicates', 0) or 0))
                    return
                message = self._error_message(parsed, status)
                if status == 409:
                    if ' is queued ' in message:
                        log.info('lora_reporter: the job is still queued; will retry')
                    else:
                        self._stop(message, len(batch))
                        return
                elif status in (400, 413) and len(batch) > 1:
                    half = len(batch) // 2
                    self._send(batch[:half])
                    self._send(batch[half:])
                    return
                elif status == 429 or status >= 500:
                    retry_after = _retry_after(headers)
                    log.info('lora_reporter: HTTP %d (%s); will retry', status, message)
                else:
                    self._count('rejected', len(batch))
                    log.warning('lora_reporter: HTTP %d: %s; %d event(s) dropped%s',
                                status, message, len(batch),
                                ' (%s)' % batch[0].get('type') if len(batch) == 1 else '')
                    return
            attempt += 1
            self._count('retries', 1)
            if self.give_up_after is not None and time.monotonic() - started > self.give_up_after:
                self._count('dropped', len(batch))
                log.warning('lora_reporter: giving up on %d event(s) after %.1f s',
                            len(batch), time.monotonic() - started)
                return
            if self._abort.wait(self._backoff(attempt - 1, retry_after)):
                self._count('dropped', len(batch))
                return

    def _stop(self, message, n_dropped):
        with self._cond:
            first = not self.stopped
            self.stopped = True
            self.stop_reason = message
            dropped = n_dropped + len(self._queue)
            self._queue.clear()
            self._count('dropped', dropped)
            self._cond.notify_all()
        if first:
            log.warning('lora_reporter: %s; the trainer should stop', message)
            if self.on_stop is not None:
                try:
                    self.on_stop(self)
                except Exception:
                    log.exception('lora_reporter: on_stop failed')
