"""``ClassroomLogProcessor``: full classroom telemetry in the logs, a short console line."""
import re
from typing import Dict, Tuple

from mmengine.registry import LOG_PROCESSORS
from mmengine.runner import LogProcessor

TELEMETRY = re.compile(r'\s*(?:rank|active|temp|nonfinite|valid)/\S+: \S+')


def classroom_summary(tag: Dict[str, float], mode: str) -> str:
    """``r_student 0.52 | teaching 2/3: teacher (r 1.21, T 7.0), peer (r 0.61, T 3.1)``."""
    prefix = f'{mode}/' if any(k.startswith(f'{mode}/') for k in tag) else ''
    mentors = [k[len(prefix) + len('active/'):] for k in tag
               if k.startswith(prefix + 'active/')]
    teaching = [m for m in mentors if tag[f'{prefix}active/{m}'] >= 0.5]
    details = ', '.join(f"{m} (r {tag[f'{prefix}rank/{m}']:.2f}, T {tag[f'{prefix}temp/{m}']:.1f})"
                        for m in teaching)
    return (f"r_student {tag[f'{prefix}rank/student']:.2f} | teaching "
            f'{len(teaching)}/{len(mentors)}' + (f': {details}' if details else ''))


@LOG_PROCESSORS.register_module()
class ClassroomLogProcessor(LogProcessor):
    """A ``LogProcessor`` for ClassroomKD runs.

    Every rank, temperature and active flag still reaches the message hub,
    ``scalars.json`` and TensorBoard, plus ``active_rate/<mentor>``: the share
    of steps so far in which the mentor taught. The console line replaces the
    per-mentor values by one summary, readable with six mentors.
    """

    def get_log_after_iter(self, runner, batch_idx: int, mode: str) -> Tuple[dict, str]:
        tag, log_str = super().get_log_after_iter(runner, batch_idx, mode)
        if mode != 'train' or not any('rank/student' in key for key in tag):
            return tag, log_str
        scalars = runner.message_hub.log_scalars
        for key in list(scalars):
            if key.startswith('train/active/'):
                name = key[len('train/active/'):]
                rate_key = ('train/' if self.log_with_hierarchy else '') + f'active_rate/{name}'
                tag[rate_key] = float(scalars[key].mean(len(scalars[key].data[0])))
        summary = classroom_summary(tag, mode)
        return tag, TELEMETRY.sub('', log_str).rstrip() + '  ' + summary
