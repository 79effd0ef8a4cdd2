#!/usr/bin/python3
"""Checks flatpak/org.lorapipeline.Monitor.json without building it.

The GNOME runtime cannot be downloaded on the machines that run this suite,
so a real `flatpak-builder` build is impossible here. What can be checked is
that the manifest is well formed, targets the runtime whose libraries the
code is written against (GNOME 43: GTK 4.8, libadwaita 1.2, libsoup 3.2),
asks for no more than the app uses, and that every file it names exists.
"""

import json
import os
import re
import shutil
import subprocess
import unittest

SRCDIR = os.path.abspath(os.path.join(os.path.dirname(__file__), '..'))
MANIFEST = os.path.join(SRCDIR, 'flatpak', 'org.lorapipeline.Monitor.json')
APP_ID = 'org.lorapipeline.Monitor'

# What the app uses, and why:
#   network   - a remote lora-jobd (the embedded one needs only loopback,
#               which the sandbox has anyway, but a team's service is remote)
#   ipc       - X11 shared memory for the fallback
#   wayland, fallback-x11 - a window on either display server
#   dri       - GPU rendering by GTK
# Notifications, the keyring (libsecret) and running in the background go
# through portals, which need no permission.
ALLOWED_FINISH_ARGS = {
    '--share=network',
    '--share=ipc',
    '--socket=wayland',
    '--socket=fallback-x11',
    '--device=dri',
}

# Libraries the code links that the GNOME runtime already has.
IN_RUNTIME = {'glib-2.0', 'gio-2.0', 'gobject-2.0', 'json-glib-1.0', 'sqlite3',
              'libsoup-3.0', 'gtk4', 'libadwaita-1', 'libsecret-1'}


def load():
    with open(MANIFEST, encoding='utf-8') as f:
        return json.load(f)


class ManifestTests(unittest.TestCase):
    def test_identity_and_runtime(self):
        m = load()
        self.assertEqual(m['app-id'], APP_ID)
        self.assertEqual(m['runtime'], 'org.gnome.Platform')
        self.assertEqual(m['sdk'], 'org.gnome.Sdk')
        self.assertEqual(m['runtime-version'], '43')
        self.assertEqual(m['command'], 'lora-monitor')

    def test_finish_args_are_only_what_the_app_uses(self):
        args = load()['finish-args']
        self.assertEqual(len(args), len(set(args)), 'duplicated finish-args')
        self.assertLessEqual(set(args), ALLOWED_FINISH_ARGS)
        for needed in ('--share=network', '--socket=wayland', '--socket=fallback-x11', '--device=dri'):
            self.assertIn(needed, args)
        for arg in args:
            self.assertFalse(arg.startswith('--filesystem='), arg)
            self.assertNotEqual(arg, '--socket=x11', 'x11 only as a fallback to wayland')

    def test_modules_and_sources_exist(self):
        modules = load()['modules']
        self.assertTrue(modules)
        names = [m['name'] for m in modules]
        self.assertEqual(names[-1], 'lora-monitor', 'the app is the last module')
        for module in modules:
            self.assertIn(module.get('buildsystem'), ('meson', 'cmake-ninja', 'autotools', 'simple'))
            for source in module['sources']:
                if source['type'] in ('dir', 'file', 'patch'):
                    path = os.path.normpath(os.path.join(os.path.dirname(MANIFEST), source['path']))
                    self.assertTrue(os.path.exists(path), '%s names %s, which does not exist' % (module['name'], path))
                else:
                    self.assertIn(source['type'], ('archive', 'git'))
                    self.assertTrue(source.get('sha256') or source.get('commit') or source.get('tag'),
                                    '%s: a download must be pinned' % module['name'])
        app = modules[-1]
        app_dir = os.path.normpath(os.path.join(os.path.dirname(MANIFEST), app['sources'][0]['path']))
        self.assertTrue(os.path.isfile(os.path.join(app_dir, 'meson.build')))
        # The suite needs Python and a display; the Flatpak build runs none of it.
        self.assertIn('-Dtests=false', app.get('config-opts', []))
        with open(os.path.join(SRCDIR, 'meson_options.txt'), encoding='utf-8') as f:
            options = f.read()
        for opt in app.get('config-opts', []):
            name = re.match(r'-D([a-z_-]+)=', opt).group(1)
            self.assertIn("option('%s'" % name, options)

    def test_every_library_is_in_the_runtime_or_a_module(self):
        with open(os.path.join(SRCDIR, 'meson.build'), encoding='utf-8') as f:
            deps = set(re.findall(r"dependency\('([^']+)'", f.read()))
        modules = {m['name'] for m in load()['modules']}
        self.assertFalse(deps - IN_RUNTIME - modules, 'not in the runtime and no module builds it')

    def test_installed_files_carry_the_app_id(self):
        data = os.path.join(SRCDIR, 'data')
        for path in ('%s.desktop.in' % APP_ID, '%s.metainfo.xml.in' % APP_ID,
                     '%s.gschema.xml' % APP_ID, '%s.service.in' % APP_ID,
                     'icons/hicolor/scalable/apps/%s.svg' % APP_ID,
                     'icons/hicolor/symbolic/apps/%s-symbolic.svg' % APP_ID):
            self.assertTrue(os.path.isfile(os.path.join(data, path)), path)
        with open(os.path.join(data, '%s.service.in' % APP_ID), encoding='utf-8') as f:
            self.assertIn('Name=%s' % APP_ID, f.read())

    @unittest.skipUnless(shutil.which('flatpak-builder'), 'flatpak-builder is not installed')
    def test_flatpak_builder_parses_it(self):
        out = subprocess.run(['flatpak-builder', '--show-manifest', MANIFEST],
                             capture_output=True, text=True, check=True).stdout
        self.assertEqual(json.loads(out)['app-id'], APP_ID)


if __name__ == '__main__':
    unittest.main(verbosity=2)
