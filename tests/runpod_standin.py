# runpod_standin.py: a local stand-in for RunPod's REST API v2 (pods only)
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# The real API (https://api.runpod.io/v2, documented at
# https://docs.runpod.io/api-reference-v2/overview and in the OpenAPI
# document at https://api.runpod.io/v2/openapi.json) cannot be reached from
# the machines that run these tests. This server answers the requests
# lora-jobd's RunPod provider makes the way that document says the API
# does:
#
#   POST   /v2/pods        201 with the pod; 422 for a body outside the
#                          CreatePodRequest schema (it refuses unknown
#                          members); 400 when the GPU cannot be placed
#   GET    /v2/pods        200 {"pods": [...]}
#   GET    /v2/pods/{id}   200 with the pod, 404 when there is none
#   DELETE /v2/pods/{id}   204 without a body; 404; 409 for a cluster's pod
#
# Every request needs "Authorization: Bearer KEY" (else 401), every error
# is application/problem+json ({"title", "status", "detail"[, "errors"]})
# and every answer to an authenticated request carries the RateLimit and
# RateLimit-Policy headers; a 429 adds Retry-After in whole seconds.
#
# Tests steer it (pod statuses, refusals, faults) and read back every
# request it received. Standard library only.

import http.server
import json
import random
import re
import string
import threading
import time
from datetime import datetime, timezone

POD_PATH_RE = re.compile(r'^/v2/pods/([^/]+)$')

# CreatePodRequest's members (ContainerConfig's and its own); the schema
# sets unevaluatedProperties: false, so anything else is a 422.
CREATE_MEMBERS = {
    'args', 'disk', 'env', 'image', 'ports', 'registry', 'name', 'cloud', 'cpu',
    'dataCenterIds', 'globalNetworking', 'gpu', 'mounts', 'startJupyter', 'startSsh',
    'templateId',
}

TITLES = {400: 'Bad Request', 401: 'Unauthorized', 402: 'Payment Required', 403: 'Forbidden',
          404: 'Not Found', 409: 'Conflict', 422: 'Unprocessable Entity',
          429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway',
          503: 'Service Unavailable'}

# RunPod's own words when a GPU cannot be placed.
NO_CAPACITY = ('There are no longer any instances available with the requested '
               'specifications. Please refresh and try again.')


def now_iso():
    return datetime.now(timezone.utc).strftime('%Y-%m-%dT%H:%M:%SZ')


class Fault:
    """An answer given instead of the normal one to matching requests."""

    def __init__(self, method, status, path=None, count=1, headers=None, detail=None,
                 create_anyway=False):
        self.method = method
        self.path = re.compile(path) if path else None
        self.status = status          # 0: drop the connection without an answer
        self.count = count            # None: for ever
        self.headers = headers or {}
        self.detail = detail
        self.create_anyway = create_anyway   # POST: make the pod, then fail

    def matches(self, method, path):
        return (self.method == method and (self.path is None or self.path.search(path))
                and (self.count is None or self.count > 0))


class RunpodStandin:
    def __init__(self, api_key, progression=('PROVISIONING', 'STARTING', 'RUNNING')):
        self.api_key = api_key
        self.progression = list(progression)
        self.lock = threading.Lock()
        self.pods = {}          # id -> pod object as GET returns it
        self.deleted = {}       # id -> pod, for assertions
        self.requests = []      # every request, oldest first
        self.faults = []
        self.refused_gpus = set()
        self.cost_per_gpu = 0.44
        self.quota = 60
        standin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = 'HTTP/1.1'

            def log_message(self, *args):
                pass

            def _handle(self):
                standin._handle(self)

            do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _handle

        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        host, port = self.server.server_address[:2]
        return 'http://%s:%d' % (host, port)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    # Steering

    def fail(self, method, status, **kw):
        with self.lock:
            fault = Fault(method, status, **kw)
            self.faults.append(fault)
            return fault

    def clear_faults(self):
        with self.lock:
            self.faults = []

    def set_status(self, pod_id, status, cost=None):
        with self.lock:
            pod = self.pods[pod_id]
            pod['status'] = status
            pod['_progression'] = []
            if status in ('EXITED', 'TERMINATED'):
                pod['cost'] = 0.0
                pod['runtime'] = None
            elif cost is not None:
                pod['cost'] = cost

    def vanish(self, pod_id):
        """The pod disappears as if deleted elsewhere (the console, another tool)."""
        with self.lock:
            self.deleted[pod_id] = self.pods.pop(pod_id)

    def add_pod(self, name, status='RUNNING', cluster=False):
        with self.lock:
            pod = self._new_pod({'name': name, 'image': 'x', 'gpu': {'id': 'NVIDIA A40', 'count': 1}})
            pod['status'] = status
            pod['_progression'] = []
            if cluster:
                pod['cluster'] = {'id': 'cluster_1', 'rank': 0}
            self.pods[pod['id']] = pod
            return pod['id']

    def mark_cluster(self, pod_id):
        with self.lock:
            self.pods[pod_id]['cluster'] = {'id': 'cluster_1', 'rank': 0}

    # Reading back

    def requests_matching(self, method=None, path=None):
        with self.lock:
            return [r for r in self.requests
                    if (method is None or r['method'] == method)
                    and (path is None or re.search(path, r['path']))]

    def wait_for(self, predicate, timeout=10.0, what='condition'):
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError('stand-in: timed out waiting for %s' % what)
            time.sleep(0.02)

    def wait_requests(self, method, path=None, count=1, timeout=10.0):
        return self.wait_for(lambda: (lambda rs: rs if len(rs) >= count else None)(
            self.requests_matching(method, path)), timeout,
            '%d %s %s' % (count, method, path or ''))

    def pod_ids(self):
        with self.lock:
            return list(self.pods)

    # The API

    def _new_pod(self, body):
        gpu = body.get('gpu') or {}
        count = gpu.get('count', 1)
        pod_id = ''.join(random.choice(string.ascii_lowercase + string.digits) for _ in range(14))
        return {
            'id': pod_id,
            'name': body['name'],
            'status': 'PROVISIONING',
            'actions': ['stop', 'terminate'],
            'image': body.get('image'),
            'args': body.get('args', ''),
            'disk': body.get('disk', 50),
            'ports': body.get('ports', []),
            'env': body.get('env', {}),
            'registry': body.get('registry'),
            'mounts': body.get('mounts', {}),
            'gpu': {'id': gpu.get('id'), 'count': count},
            'cloud': body.get('cloud', 'SECURE'),
            'dataCenterId': 'US-TX-3',
            'cudaVersion': '12.8',
            'ssh': {'proxy': None, 'direct': None},
            'template': None,
            'cost': round(self.cost_per_gpu * count, 2),
            'locked': False,
            'globalNetworking': {'enabled': False},
            'runtime': None,
            'createdAt': now_iso(),
            'startedAt': None,
            '_progression': list(self.progression[1:]),
        }

    @staticmethod
    def _public(pod):
        return {k: v for k, v in pod.items() if not k.startswith('_')}

    def _rate_headers(self, remaining=None, reset=12):
        remaining = self.quota if remaining is None else remaining
        return {
            'RateLimit': '"minute";r=%d;t=%d, "hour";r=2800;t=1812, "day";r=49500;t=45012'
                         % (remaining, reset),
            'RateLimit-Policy': '"minute";q=60;w=60, "hour";q=3000;w=3600, "day";q=50000;w=86400',
        }

    def _send(self, handler, status, body=None, headers=None, problem=False):
        data = b''
        if body is not None:
            data = json.dumps(body).encode('utf-8')
        handler.send_response(status)
        if body is not None:
            handler.send_header('Content-Type',
                                'application/problem+json' if problem else 'application/json')
        handler.send_header('Content-Length', str(len(data)))
        for name, value in (headers or {}).items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)

    def _problem(self, handler, status, detail, errors=None, headers=None):
        body = {'title': TITLES.get(status, 'Error'), 'status': status, 'detail': detail}
        if errors:
            body['errors'] = errors
        self._send(handler, status, body, headers, problem=True)

    def _handle(self, handler):
        length = int(handler.headers.get('Content-Length') or 0)
        raw = handler.rfile.read(length) if length else b''
        path = handler.path.split('?', 1)[0]
        method = handler.command
        record = {
            'method': method,
            'path': path,
            'headers': {k: v for k, v in handler.headers.items()},
            'raw': raw,
            'body': None,
            'time': time.monotonic(),
        }
        try:
            record['body'] = json.loads(raw.decode('utf-8')) if raw else None
        except ValueError:
            pass

        with self.lock:
            self.requests.append(record)

            if handler.headers.get('Authorization') != 'Bearer ' + self.api_key:
                self._problem(handler, 401, 'missing bearer token'
                              if handler.headers.get('Authorization') is None else 'invalid API key')
                return

            fault = next((f for f in self.faults if f.matches(method, path)), None)
            if fault is not None:
                if fault.count is not None:
                    fault.count -= 1
                if fault.create_anyway and method == 'POST' and isinstance(record['body'], dict):
                    pod = self._new_pod(record['body'])
                    self.pods[pod['id']] = pod
                if fault.status == 0:
                    handler.close_connection = True
                    try:
                        handler.connection.shutdown(2)
                    except OSError:
                        pass
                    return
                headers = dict(fault.headers)
                if fault.status == 429:
                    headers.setdefault('Retry-After', '1')
                    headers.update(self._rate_headers(remaining=0, reset=int(headers['Retry-After'])))
                else:
                    headers.update(self._rate_headers())
                self._problem(handler, fault.status,
                              fault.detail or 'stand-in fault %d' % fault.status, headers=headers)
                return

            self._route(handler, method, path, record['body'])

    def _route(self, handler, method, path, body):
        rate = self._rate_headers()

        if path == '/v2/pods' and method == 'POST':
            errors = self._check_create(body)
            if errors:
                self._problem(handler, 422, 'Request validation failed.', errors, rate)
                return
            if body['gpu'].get('id') in self.refused_gpus:
                self._problem(handler, 400, NO_CAPACITY, headers=rate)
                return
            pod = self._new_pod(body)
            self.pods[pod['id']] = pod
            self._send(handler, 201, self._public(pod), rate)
            return

        if path == '/v2/pods' and method == 'GET':
            self._send(handler, 200, {'pods': [self._public(p) for p in self.pods.values()
                                               if 'cluster' not in p]}, rate)
            return

        match = POD_PATH_RE.match(path)
        if match and method in ('GET', 'DELETE'):
            pod = self.pods.get(match.group(1))
            if pod is None:
                self._problem(handler, 404, 'pod not found', headers=rate)
                return
            if method == 'GET':
                self._advance(pod)
                self._send(handler, 200, self._public(pod), rate)
                return
            if 'cluster' in pod:
                self._problem(handler, 409, 'Pod belongs to a cluster and cannot be terminated '
                              'via the pod endpoints.')
                return
            self.deleted[pod['id']] = self.pods.pop(pod['id'])
            self._send(handler, 204, None, rate)
            return

        if path == '/v2/pods' or match:
            self._problem(handler, 405, 'The requested method is not allowed for this path.',
                          headers=dict(rate, Allow='GET, POST' if path == '/v2/pods'
                                       else 'GET, PATCH, DELETE'))
            return

        self._problem(handler, 404, 'resource not found', headers=rate)

    def _advance(self, pod):
        """Each read moves a new pod one step along the progression."""
        if pod['_progression']:
            pod['status'] = pod['_progression'].pop(0)
        if pod['status'] == 'RUNNING':
            if pod['startedAt'] is None:
                pod['startedAt'] = now_iso()
            pod['actions'] = ['stop', 'restart', 'terminate']
            pod['runtime'] = {'uptime': 1, 'gpus': [{'util': 94, 'memoryUtil': 78}
                                                    for _ in range(pod['gpu']['count'])],
                              'ports': []}

    @staticmethod
    def _check_create(body):
        if not isinstance(body, dict):
            return ['$: expected an object']
        errors = ["$: additional properties '%s' not allowed" % k
                  for k in sorted(body) if k not in CREATE_MEMBERS]
        if not isinstance(body.get('name'), str) or not body['name']:
            errors.append("$: missing property 'name'")
        if 'templateId' not in body and not isinstance(body.get('image'), str):
            errors.append("$: missing property 'image'")
        if ('gpu' in body) == ('cpu' in body):
            errors.append('$: exactly one of gpu or cpu is required')
        gpu = body.get('gpu')
        if gpu is not None:
            if not isinstance(gpu, dict) or not isinstance(gpu.get('id'), str):
                errors.append("$.gpu: missing property 'id'")
            elif not isinstance(gpu.get('count', 1), int) or gpu.get('count', 1) < 1:
                errors.append('$.gpu.count: must be >= 1')
        if 'disk' in body and (not isinstance(body['disk'], int) or body['disk'] < 1):
            errors.append('$.disk: must be >= 1')
        env = body.get('env', {})
        if not isinstance(env, dict) or not all(isinstance(v, str) for v in env.values()):
            errors.append('$.env: values must be strings')
        mounts = body.get('mounts')
        if mounts is not None:
            persistent = mounts.get('persistent') if isinstance(mounts, dict) else None
            if (not isinstance(persistent, dict) or set(persistent) != {'size', 'path'}
                    or not isinstance(persistent['size'], int) or persistent['size'] < 10):
                errors.append('$.mounts.persistent: size (>= 10) and path are required')
        return errors
