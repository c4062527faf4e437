"""The OpenMMLab stack trains the stock upstream configs through MMEngine's Runner on CPU."""
import pytest
from mmengine.runner import Runner

from classroomkd_mm.engine import read_config
from runner_utils import on_cifar10_folder, on_coco_tiny, on_mpii_tiny, short_cpu_run

pytestmark = pytest.mark.usefixtures('frozen_libraries')


def train_and_validate(cfg):
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.val()


def test_rtmpose_t_coco_trains_and_reports_ap(tmp_path):
    cfg = read_config(
        'mmpose::body_2d_keypoint/rtmpose/coco/rtmpose-t_8xb256-420e_coco-256x192.py')
    metrics = train_and_validate(on_coco_tiny(short_cpu_run(cfg, str(tmp_path))))
    assert 0.0 <= metrics['coco/AP'] <= 1.0


def test_litehrnet_mpii_trains_and_reports_pck(tmp_path):
    cfg = read_config('mmpose::body_2d_keypoint/topdown_heatmap/mpii/'
                          'td-hm_litehrnet-18_8xb64-210e_mpii-256x256.py')
    metrics = train_and_validate(on_mpii_tiny(short_cpu_run(cfg, str(tmp_path), batch_size=2)))
    assert 0.0 <= metrics['PCK'] <= 100.0


def test_resnet_cifar_trains_and_reports_top1(tmp_path, cifar10_tiny):
    cfg = read_config('mmpretrain::resnet/resnet18_8xb16_cifar10.py')
    cfg = on_cifar10_folder(short_cpu_run(cfg, str(tmp_path), batch_size=16), cifar10_tiny)
    metrics = train_and_validate(cfg)
    assert 0.0 <= metrics['accuracy/top1'] <= 100.0
