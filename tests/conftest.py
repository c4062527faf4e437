import os

import pytest
import torch

# Under pytest-xdist (`make test`: one worker per core) each worker, and every process it
# starts, computes on one thread: two OpenMP pools on two cores slow each other down 4x.
if os.environ.get('PYTEST_XDIST_WORKER'):
    os.environ['OMP_NUM_THREADS'] = '1'
    torch.set_num_threads(1)
else:
    torch.set_num_threads(2)


@pytest.fixture(scope='module')
def frozen_libraries():
    """Import the OpenMMLab libraries and freeze them out of the garbage collector's walks
    for the module's tests. MMEngine's datasets call ``gc.collect()`` when built, which
    otherwise walks the libraries' half a million objects (about 0.4 s a Runner here)."""
    import gc

    from mmdet.utils import register_all_modules as register_mmdet
    from mmpose.utils import register_all_modules as register_mmpose
    from mmpretrain.utils import register_all_modules as register_mmpretrain

    import classroomkd_mm  # noqa: F401
    for register in (register_mmdet, register_mmpose, register_mmpretrain):
        register(init_default_scope=False)
    gc.collect()
    gc.freeze()
    yield
    gc.unfreeze()


@pytest.fixture
def pretrain_scope():
    from mmengine.registry import init_default_scope
    import classroomkd_mm  # noqa: F401
    init_default_scope('mmpretrain')


@pytest.fixture
def pose_scope():
    from mmengine.registry import init_default_scope
    import classroomkd_mm  # noqa: F401
    init_default_scope('mmpose')


@pytest.fixture
def cifar_classroom(tmp_path, pretrain_scope):
    """A CIFAR-10 classroom's model config: a ResNet-8 student, mentors 'teacher' (ResNet-14)
    and 'vgg' (VGG-8) with seeded random weights in ``tmp_path``."""
    from classroom_utils import two_mentor_classroom
    return two_mentor_classroom(tmp_path)


@pytest.fixture(scope='session')
def cifar10_tiny():
    """20 training and 10 test JPEGs per class, unpacked once per machine."""
    from runner_utils import DATA, prepare_cifar10
    return prepare_cifar10(os.path.join(DATA, 'cifar10_tests'), 20, 10)


@pytest.fixture(scope='session')
def experiment_run(tmp_path_factory, cifar10_tiny):
    """The tiny CIFAR-10 classroom trained 1 epoch (4 steps, each logged) and tested by
    ``experiments.runs.train_and_test``: its work dir and the returned metrics."""
    from classroomkd_mm.experiments import runs
    from runner_utils import write_tiny_classroom
    folder = tmp_path_factory.mktemp('experiment_run')
    work_dir = str(folder / 'work')
    metrics = runs.train_and_test(write_tiny_classroom(folder, cifar10_tiny), work_dir,
                                  {'train_cfg.max_epochs': 1})
    return work_dir, metrics


@pytest.fixture(scope='session')
def lsp_slice_annotations(tmp_path_factory):
    """The shipped LSP Extended slice (60 images) in COCO form: 40 train, 20 test."""
    from classroomkd_mm.datasets.lsp import convert
    from runner_utils import DATA
    return convert(os.path.join(DATA, 'lsp_slice'),
                   str(tmp_path_factory.mktemp('lsp_slice_annotations')), train_images=40)


@pytest.fixture(scope='session')
def trained_classroom(tmp_path_factory, cifar10_tiny):
    """The tiny CIFAR-10 classroom trained for 2 epochs by ``tools/train.py`` (checkpoints of
    both epochs, TensorBoard events): its config, work dir and console output."""
    from runner_utils import run_python, write_tiny_classroom
    folder = tmp_path_factory.mktemp('classroom')
    config = write_tiny_classroom(folder, cifar10_tiny)
    work_dir = str(folder / 'work')
    result = run_python('tools/train.py', config, '--work-dir', work_dir)
    assert result.returncode == 0, result.stderr[-3000:]
    return config, work_dir, result.stdout + result.stderr
