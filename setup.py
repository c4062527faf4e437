"""classroomkd_mm's package. The version ranges are the ones CI tests: the oldest stack
(requirements/constraints-oldest.txt) and the newest (requirements/constraints.txt)."""
import atexit
import os
import shutil
import tempfile

from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

ROOT = os.path.dirname(os.path.abspath(__file__))
# Build in a temporary folder, so that `pip install .` leaves no build/ or *.egg-info here.
BUILD_DIR = tempfile.mkdtemp(prefix='classroomkd_mm-build-')
atexit.register(shutil.rmtree, BUILD_DIR, True)


class BuildPyWithMim(build_py):
    """Ship configs/ and tools/ inside the package as ``classroomkd_mm/.mim/``, where
    OpenMMLab packages keep theirs, so an installed copy has every config and tool."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):  # an editable install reads the checkout
            return
        for name in ('configs', 'tools'):
            target = os.path.join(self.build_lib, 'classroomkd_mm', '.mim', name)
            shutil.rmtree(target, ignore_errors=True)
            shutil.copytree(os.path.join(ROOT, name), target,
                            ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))


setup(
    name='classroomkd_mm',
    version='0.1.0',
    description='ClassroomKD multi-mentor knowledge distillation for MMPose and MMPretrain',
    long_description=open(os.path.join(ROOT, 'README.md'), encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(include=['classroomkd_mm', 'classroomkd_mm.*']),
    python_requires='>=3.10',
    install_requires=['torch>=2.1', 'numpy>=1.26', 'mmengine>=0.10.7', 'mmcv>=2.1.0',
                      'filelock'],
    extras_require={
        'pose': ['mmpose>=1.3.2', 'mmdet>=3.3.0'],
        'cls': ['mmpretrain>=1.2.0'],
    },
    cmdclass={'build_py': BuildPyWithMim},
    options={'build': {'build_base': BUILD_DIR}, 'egg_info': {'egg_base': BUILD_DIR}},
)
