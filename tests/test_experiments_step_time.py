"""experiments.step_time: the step-time benchmark's logic (its tables: test_tools_step_time)."""
from classroomkd_mm.experiments.step_time import is_a_sync


def test_only_real_syncs_are_counted_on_cuda():
    """PyTorch's sync debug mode also warns, once, that it is a prototype: not a sync."""
    assert is_a_sync('called a synchronizing CUDA operation')
    assert not is_a_sync('Synchronization debug mode is a prototype feature and does '
                         'not yet detect all synchronizing operations')
