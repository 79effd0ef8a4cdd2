# lora_hf_callback.py: a Hugging Face TrainerCallback that reports to lora-jobd
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Needs lora_reporter.py next to it. transformers is imported only when the
# class is first used, and is optional: without it the callback derives
# from a plain class with the same methods (enough for tests, or for any
# trainer that calls the same hooks).

"""Report a Hugging Face ``Trainer`` run to lora-jobd.

::

    from lora_hf_callback import LoraReporterCallback

    callback = LoraReporterCallback()          # reads LORA_WEBHOOK_URL etc.
    callback.reporter.stage("preprocessing", "active", substatus="Tokenizing...")
    dataset = ...
    callback.reporter.stage("model_loading", "active", substatus="Loading model...")
    model = ...
    trainer = Trainer(model=model, args=args, train_dataset=dataset,
                      callbacks=[callback])
    try:
        trainer.train()
    except BaseException as exc:   # the Trainer has no hook for exceptions
        callback.fail(exc)         # error event + status failed
        raise
    trainer.save_model()           # covered by the finalization stage
    callback.finish()              # finalization completed + status completed

What it sends:

* ``on_train_begin``: ``status training``, stage ``training`` active.
* ``on_log``: a ``metrics`` event at ``state.global_step`` with ``loss`` as
  ``train_loss``, ``eval_loss`` as ``val_loss``, ``learning_rate`` and
  ``epoch`` (the Trainer's closing summary, with ``train_runtime``, is
  not a metric and is skipped).
* ``on_evaluate``: ``val_loss`` from ``metrics["eval_loss"]``, unless
  ``on_log`` already reported it for that step.
* ``on_save``: a ``checkpoint`` event with ``OUTPUT_DIR/checkpoint-STEP``.
* ``on_step_end``: when the job was cancelled in the app (the service
  answered 409), ``control.should_training_stop = True``; the Trainer then
  ends the run after this step, as an early stop would.
* ``on_train_end``: stage ``training`` completed and stage ``finalization``
  active. With ``finish_on_train_end=True`` (the default) it then completes
  finalization and sends ``status completed`` at once; pass False and call
  ``finish()`` yourself after saving the model, so that the saving shows as
  the finalization stage. Nothing is sent after a cancel.

Only the main process reports (``state.is_world_process_zero``). In a
multi-process run, only the main process learns of a cancel; make the
others stop with it (for example with the Trainer's own stop broadcast in
recent transformers versions, or by letting the provider's SIGTERM end
them).

Pass ``gpu_util=callable`` to add a GPU utilisation percentage to each
metrics event (for example a function that runs ``nvidia-smi``).
"""

import math
import os
import sys
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
try:
    from lora_reporter import Reporter
finally:
    del sys.path[0]

__all__ = ['LoraReporterCallback', 'PlainTrainerCallback']

# Keys of the Trainer's logs that become metrics.
_LOSS_KEYS = ('loss', 'eval_loss', 'learning_rate')


class PlainTrainerCallback:
    """The hooks of transformers.TrainerCallback, doing nothing: the base
    class when transformers is not installed."""

    def on_init_end(self, args, state, control, **kwargs):
        pass

    def on_train_begin(self, args, state, control, **kwargs):
        pass

    def on_train_end(self, args, state, control, **kwargs):
        pass

    def on_epoch_begin(self, args, state, control, **kwargs):
        pass

    def on_epoch_end(self, args, state, control, **kwargs):
        pass

    def on_step_begin(self, args, state, control, **kwargs):
        pass

    def on_pre_optimizer_step(self, args, state, control, **kwargs):
        pass

    def on_optimizer_step(self, args, state, control, **kwargs):
        pass

    def on_substep_end(self, args, state, control, **kwargs):
        pass

    def on_step_end(self, args, state, control, **kwargs):
        pass

    def on_evaluate(self, args, state, control, **kwargs):
        pass

    def on_predict(self, args, state, control, metrics, **kwargs):
        pass

    def on_save(self, args, state, control, **kwargs):
        pass

    def on_log(self, args, state, control, **kwargs):
        pass

    def on_prediction_step(self, args, state, control, **kwargs):
        pass


def _base_class():
    if os.environ.get('LORA_REPORTER_NO_TRANSFORMERS'):
        return PlainTrainerCallback
    try:
        from transformers import TrainerCallback
    except Exception:               # not installed, or broken (no torch, ...)
        return PlainTrainerCallback
    return TrainerCallback


def _is_main(state):
    return getattr(state, 'is_world_process_zero', True) is not False


def _finite_or_none(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _make_class(base):
    class LoraReporterCallback(base):
        """A TrainerCallback that sends the run to lora-jobd; see the
        module's docstring. Keyword arguments other than those below go to
        Reporter (url, secret, job_id, flush_interval, ...).

        reporter: an existing Reporter to use instead of a new one.
        finish_on_train_end: complete the job when training ends.
        gpu_util: a callable returning the GPU utilisation (0-100) or None.
        close_timeout: how long finish()/fail() wait for the events to go.
        """

        def __init__(self, reporter=None, *, finish_on_train_end=True, gpu_util=None,
                     close_timeout=30.0, **reporter_kwargs):
            super().__init__()
            self.reporter = reporter if reporter is not None else Reporter(**reporter_kwargs)
            self.finish_on_train_end = finish_on_train_end
            self.gpu_util = gpu_util
            self.close_timeout = close_timeout
            self._val_steps = set()
            self._finished = False
            self._train_ended = False

        # Hooks

        def on_train_begin(self, args, state, control, **kwargs):
            if not _is_main(state):
                return
            self.reporter.status('training')
            max_steps = getattr(state, 'max_steps', 0) or 0
            self.reporter.stage('training', 'active',
                                substatus=('Training for %d steps' % max_steps) if max_steps else None)

        def on_log(self, args, state, control, logs=None, **kwargs):
            if not _is_main(state) or not logs:
                return
            if 'train_runtime' in logs:     # the closing summary
                return
            if not any(k in logs for k in _LOSS_KEYS):
                return
            step = int(getattr(state, 'global_step', 0) or 0)
            val_loss = logs.get('eval_loss')
            if val_loss is not None:
                self._val_steps.add(step)
            self._metrics(state, step, epoch=logs.get('epoch'), train_loss=logs.get('loss'),
                          val_loss=val_loss, learning_rate=logs.get('learning_rate'),
                          grad_norm=logs.get('grad_norm'))
            self._check_stop(control)

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            if not _is_main(state) or not metrics:
                return
            step = int(getattr(state, 'global_step', 0) or 0)
            val_loss = metrics.get('eval_loss')
            if val_loss is None or step in self._val_steps:
                return
            self._val_steps.add(step)
            self._metrics(state, step, epoch=metrics.get('epoch'), val_loss=val_loss)
            self._check_stop(control)

        def on_save(self, args, state, control, **kwargs):
            if not _is_main(state):
                return
            step = int(getattr(state, 'global_step', 0) or 0)
            output_dir = getattr(args, 'output_dir', None)
            path = os.path.join(output_dir, 'checkpoint-%d' % step) if output_dir else None
            self.reporter.checkpoint(step, path=path)

        def on_step_end(self, args, state, control, **kwargs):
            self._check_stop(control)

        def on_train_end(self, args, state, control, **kwargs):
            if not _is_main(state) or self._train_ended:
                return
            self._train_ended = True
            if self.reporter.stopped:
                self.reporter.close(self.close_timeout)
                return
            step = int(getattr(state, 'global_step', 0) or 0)
            self.reporter.stage('training', 'completed')
            self.reporter.stage('finalization', 'active',
                                substatus='Training ended at step %d; saving...' % step)
            if self.finish_on_train_end:
                self.finish()

        # For the script

        def finish(self, status='completed', error=None):
            """Completes the finalization stage and the job (status
            'completed'), or fails them, then closes the reporter."""
            if self._finished:
                return
            self._finished = True
            if not self.reporter.stopped:
                if status == 'completed':
                    self.reporter.stage('finalization', 'completed')
                else:
                    self.reporter.stage('finalization', 'failed', error=error)
                self.reporter.status(status, error=error)
            self.reporter.close(self.close_timeout)

        def fail(self, exc=None, message=None):
            """Reports a failure: an error event (with the traceback of @exc)
            and status failed; then closes the reporter. Call it from the
            except clause around trainer.train()."""
            if self._finished:
                return
            self._finished = True
            if exc is not None and message is None:
                message = '%s: %s' % (type(exc).__name__, exc) if str(exc) else type(exc).__name__
            message = message or 'Training failed'
            if not self.reporter.stopped:
                data = {}
                if exc is not None:
                    data['exception'] = type(exc).__name__
                    data['traceback'] = ''.join(traceback.format_exception(
                        type(exc), exc, exc.__traceback__))[-8000:]
                self.reporter.error(message, **data)
                self.reporter.status('failed', error=message)
            self.reporter.close(self.close_timeout)

        def __enter__(self):
            return self

        def __exit__(self, exc_type, exc, tb):
            """``with LoraReporterCallback() as cb:`` reports an exception
            leaving the block with fail(), and closes the reporter."""
            if exc is not None and not (isinstance(exc, SystemExit) and exc.code in (None, 0)):
                self.fail(exc)
            else:
                self.reporter.close(self.close_timeout)
            return False

        @property
        def stopped(self):
            return self.reporter.stopped

        # Internals

        def _metrics(self, state, step, epoch=None, **values):
            if epoch is None:
                epoch = getattr(state, 'epoch', None)
            gpu = None
            if self.gpu_util is not None:
                try:
                    gpu = self.gpu_util()
                except Exception:
                    gpu = None
            extra = {}
            grad_norm = _finite_or_none(values.pop('grad_norm', None))
            if grad_norm is not None and math.isfinite(grad_norm):
                extra['grad_norm'] = grad_norm
            self.reporter.metrics(step, epoch=epoch, gpu_util=gpu, **values, **extra)

        def _check_stop(self, control):
            if self.reporter.stopped and control is not None:
                control.should_training_stop = True

    return LoraReporterCallback


_classes = {}


def __getattr__(name):
    # PEP 562: transformers is imported the first time the class is asked for.
    if name == 'LoraReporterCallback':
        if name not in _classes:
            _classes[name] = _make_class(_base_class())
        return _classes[name]
    raise AttributeError('module %r has no attribute %r' % (__name__, name))
