"""engine.export: float16 weights where their values fit (the student export is exercised
end to end by tests/test_tools_export_student.py)."""
import torch

from classroomkd_mm.engine.export import export_float16


def test_float16_export_keeps_float32_where_values_do_not_fit(tmp_path):
    raw = tmp_path / 'raw.pth'
    torch.save(dict(state_dict={'conv.weight': torch.tensor([1.5, -0.25]),
                                'bn.running_var': torch.tensor([0.5, 1e6]),  # > 65504
                                'bn.num_batches_tracked': torch.tensor(7)}), raw)
    export_float16(str(raw), str(tmp_path / 'm.pth'), dict(keypoint_id2name={0: 'right_ankle'}))
    exported = torch.load(tmp_path / 'm.pth', weights_only=True)
    state = exported['state_dict']
    assert state['conv.weight'].dtype == torch.float16
    assert state['conv.weight'].tolist() == [1.5, -0.25]
    assert state['bn.running_var'].dtype == torch.float32
    assert state['bn.running_var'][1] == 1e6
    assert state['bn.num_batches_tracked'].dtype == torch.int64
    assert exported['meta'] == dict(dataset_meta=dict(keypoint_id2name={0: 'right_ankle'}))
