"""configs/lsp: the heatmap classroom's adapter options, and AVER α=λ's weight."""
import os.path as osp

from classroomkd_mm.engine.config_files import read_config
from runner_utils import REPO


def test_heatmap_classroom_sets_the_adapter_options():
    cfg = read_config(osp.join(REPO, 'configs/lsp/litehrnet-18_classroom.py'))
    assert cfg.model.adapter == dict(type='ckd.HeatmapAdapter', heatmap_beta=10.0,
                                 heatmap_floor=0.01)
    aver = read_config(osp.join(REPO, 'configs/lsp/litehrnet-18_classroom_aver-matched.py'))
    assert (aver.model.distill_weight, aver.model.mentor_weights) == (2.0, 'equal')
    assert len(aver.model.mentors) == 2  # alpha = lambda
