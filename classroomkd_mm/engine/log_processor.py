"""``ClassroomLogProcessor``: full classroom telemetry in the logs, a short console line."""
import re
from typing import Dict, Tuple

from mmengine.runner import LogProcessor

from .. import telemetry
from ..registry import LOG_PROCESSORS

# the step's telemetry in MMEngine's console line, e.g. "  rank/teacher: 1.2100"
TELEMETRY = re.compile(r'\s*(?:' + '|'.join(map(re.escape, telemetry.STEP_PREFIXES)) +
                       r')\S+: \S+')


def classroom_summary(tag: Dict[str, float], mode: str) -> str:
    """``r_student 0.52 | teaching 2/3: teacher (r 1.21, T 7.0), peer (r 0.61, T 3.1)``."""
    prefix = f'{mode}/' if any(k.startswith(f'{mode}/') for k in tag) else ''

    def value(key: str) -> float:
        return tag[prefix + key]

    mentors = [name for name in (telemetry.name_in(key, prefix + telemetry.ACTIVE) for key in tag)
               if name is not None]
    teaching = [m for m in mentors if value(telemetry.active_key(m)) >= 0.5]
    details = ', '.join(f'{m} (r {value(telemetry.rank_key(m)):.2f}, '
                        f'T {value(telemetry.temperature_key(m)):.1f})' for m in teaching)
    return (f'r_student {value(telemetry.rank_key(telemetry.STUDENT)):.2f} | teaching '
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
        student_rank = telemetry.rank_key(telemetry.STUDENT)
        if mode != 'train' or not any(student_rank in key for key in tag):
            return tag, log_str
        scalars = runner.message_hub.log_scalars
        for key in list(scalars):
            name = telemetry.name_in(key, 'train/' + telemetry.ACTIVE)
            if name is not None:
                rate_key = ('train/' if self.log_with_hierarchy else '') + \
                    telemetry.active_rate_key(name)
                tag[rate_key] = float(scalars[key].mean(len(scalars[key].data[0])))
        summary = classroom_summary(tag, mode)
        return tag, TELEMETRY.sub('', log_str).rstrip() + '  ' + summary
