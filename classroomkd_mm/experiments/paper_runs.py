"""The run behind every row of the paper's Tables 1-6 and Figures 3-4 (tools/paper_runs.py).

A row names a shipped config (a classroom, or one of its method variants, see
:func:`.methods.variant_config`), possibly with ``--cfg-options``, or a classroom with
another mentor list (Figure 4, Table 3a): that one is written as a small config under a
config folder. Paths are relative to the checkout, where the printed commands run.
"""
import os
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Tuple

from .methods import variant_config

CIFAR = 'configs/cifar100/'
DEFAULT_CONFIG_DIR = 'work_dirs/paper_configs'


@dataclass(frozen=True)
class Run:
    config: str                           # a config path, or the base of a generated one
    options: Tuple[str, ...] = ()         # --cfg-options
    mentors: Optional[Tuple[str, ...]] = None  # cifar100_mentors names: a generated config
    name: Optional[str] = None            # work dir / generated file name

    @property
    def work_name(self) -> str:
        return self.name or osp.splitext(osp.basename(self.config))[0]


@dataclass(frozen=True)
class Row:
    table: str      # 'table1', 'fig4', ... ('mentors': the standalone prerequisites)
    label: str      # what the paper's row and column are
    paper: str      # the number the paper reports ('-' where it is only plotted)
    run: Run


def classroom(stem: str, method: str = 'ClassroomKD', *options: str, name: str = None) -> Run:
    """``method`` (a name of ``METHOD_NAMES``) on the CIFAR-100 classroom ``stem``."""
    return Run(variant_config(f'{CIFAR}classroom_{stem}.py', method), tuple(options), name=name)


def standalone(arch: str, *options: str) -> Run:
    return Run(f'{CIFAR}standalone/{arch}.py', tuple(options))


# Appendix A: every CIFAR-100 mentor (and NOKD student) with the accuracy the paper lists.
MENTORS = [('resnet8', '60.22'), ('resnet14', '67.28'), ('resnet20', '69.06'),
           ('resnet32', '71.14'), ('resnet56', '72.41'), ('resnet110', '74.31'),
           ('resnet32x4', '79.42'), ('wrn_16_2', '73.64'), ('wrn_40_2', '75.61'),
           ('vgg8', '70.36'), ('vgg13', '74.64'), ('mobilenetv2', '63.51'),
           ('shufflev1', '71.29'), ('shufflev2', '72.60'), ('resnet50', '79.34'),
           ('resnet18', '74.01'), ('swin_t', '88.78')]
# Table 1: classroom (student_teacher), student, NOKD, KD, Ours.
TABLE1 = [('resnet20_resnet110', 'resnet20', '69.06', '70.67', '72.45'),
          ('resnet32_resnet110', 'resnet32', '71.14', '73.08', '74.60'),
          ('resnet20_resnet56', 'resnet20', '69.06', '70.66', '72.65'),
          ('vgg8_vgg13', 'vgg8', '70.68', '72.98', '74.51'),
          ('mobilenetv2_vgg13', 'mobilenetv2', '64.60', '67.37', '69.84'),
          ('shufflev2_resnet32x4', 'shufflev2', '71.82', '74.45', '76.52'),
          ('shufflev1_wrn_40_2', 'shufflev1', '70.50', '74.83', '75.05'),
          ('mobilenetv2_resnet50', 'mobilenetv2', '64.60', '67.35', '70.15'),
          ('resnet18_swin_t', 'resnet18', '74.01', '78.74', '80.32')]
# Table 2a: classroom, student, NOKD, AVER, Ours.
TABLE2A = [('wrn_16_2_wrn_40_2', 'wrn_16_2', '73.64', '74.98', '76.51'),
           ('resnet20_resnet110', 'resnet20', '69.06', '71.20', '72.45'),
           ('resnet20_resnet56', 'resnet20', '69.06', '71.08', '72.65'),
           ('vgg8_vgg13', 'vgg8', '70.68', '73.18', '74.51'),
           ('mobilenetv2_vgg13', 'mobilenetv2', '64.60', '62.94', '69.84'),
           ('shufflev1_wrn_40_2', 'shufflev1', '70.50', '73.00', '75.18')]
# Table 2c: classroom config, label, NOKD config, NOKD, AVER, Ours.
TABLE2C = [('configs/mpii/litehrnet-18_classroom_same.py', 'MPII, same peers',
            'configs/mpii/litehrnet-18_nokd.py', '85.91', '86.64', '86.72'),
           ('configs/mpii/litehrnet-18_classroom_mixed.py', 'MPII, mixed peers',
            'configs/mpii/litehrnet-18_nokd.py', '85.91', '86.07', '86.37'),
           ('configs/coco/rtmpose-t_classroom_210e.py', 'COCO (210 epochs)',
            'configs/coco/rtmpose-t_nokd_210e.py', '68.20', '69.26', '69.73')]
# Table 5: classroom, student, Ours + DTKD at tau 8, at tau 12, Ours.
TABLE5 = [('mobilenetv2_vgg13', 'MBV2', '69.80', '68.87', '69.84'),
          ('resnet20_resnet56', 'R20', '72.47', '72.36', '72.65')]
# Table 6: classroom, Method B, Ours.
TABLE6 = [('wrn_16_2_wrn_40_2', '75.42', '76.51'), ('resnet20_resnet110', '71.94', '72.45'),
          ('resnet32_resnet110', '74.28', '74.60'), ('resnet20_resnet56', '72.56', '72.65'),
          ('vgg8_vgg13', '73.58', '74.51'), ('mobilenetv2_vgg13', '68.52', '69.84'),
          ('shufflev2_resnet32x4', '75.71', '76.52'), ('shufflev1_resnet32x4', '75.08', '74.84'),
          ('mobilenetv2_resnet50', '69.78', '70.15'), ('shufflev1_wrn_40_2', '75.96', '75.05')]
# Figures 3-4 and Table 3 use the MobileNetV2 classroom whose full result is Table 3's 68.52.
MBV2 = 'mobilenetv2_vgg13'
TAU_GRID = (2, 4, 6, 8, 10, 12, 14, 16)
FIG4_TEACHERS = ('vgg13', 'resnet50', 'resnet32x4')
FIG4_PEERS = ('resnet8', 'resnet14', 'resnet20', 'shufflev1', 'shufflev2')
FIG4_PAPER = {(1, 0): '63.35', (1, 5): '67.53'}


def pretraining_rows() -> List[Row]:
    rows = [Row('mentors', f'Appendix A: {arch}', top1, standalone(arch))
            for arch, top1 in MENTORS]
    rows.append(Row('mentors', 'Appendix A: EfficientNet-B0 (Table 4), all checkpoints kept',
                    '73.21', standalone('efficientnet_b0', 'default_hooks.checkpoint.interval=1',
                                        'default_hooks.checkpoint.max_keep_ckpts=-1')))
    return rows


def cifar_table_rows() -> List[Row]:
    rows = []
    for stem, student, nokd, kd, ours in TABLE1:
        rows += [Row('table1', f'{stem}: NOKD', nokd, standalone(student)),
                 Row('table1', f'{stem}: KD', kd, classroom(stem, 'KD')),
                 Row('table1', f'{stem}: Ours', ours, classroom(stem))]
    for stem, student, nokd, aver, ours in TABLE2A:
        rows += [Row('table2a', f'{stem}: NOKD', nokd, standalone(student)),
                 Row('table2a', f'{stem}: AVER', aver, classroom(stem, 'AVER')),
                 Row('table2a', f'{stem}: Ours', ours, classroom(stem))]
    both_off = classroom(MBV2, 'KF off + Mentoring off')
    rows += [
        Row('table3a', 'student only', '63.31', standalone('mobilenetv2')),
        Row('table3a', '+ teacher (no peers, no adaptive distillation)', '63.35',
            Run(both_off.config, mentors=('vgg13', ), name=f'table3a_{MBV2}_teacher-only')),
        Row('table3a', '+ peers (no adaptive distillation)', '65.96', both_off),
        Row('table3a', '+ adaptive distillation', '68.52', classroom(MBV2)),
        Row('table3b', 'KF off, Mentoring off', '65.96', both_off),
        Row('table3b', 'KF off, Mentoring on', '67.25', classroom(MBV2, 'KF off')),
        Row('table3b', 'KF on, Mentoring off', '68.49', classroom(MBV2, 'Mentoring off')),
        Row('table3b', 'KF on, Mentoring on', '68.52', classroom(MBV2)),
        Row('table4a', 'Same (EN-B0 x6)', '67.53', classroom('mobilenetv2_efficientnet_b0')),
        Row('table4a', 'Diverse (VGG13, R8, R14, R20, SN-V1, SN-V2)', '68.52', classroom(MBV2)),
        Row('table4b', 'Low', '67.77', classroom('mobilenetv2_efficientnet_b0_low')),
        Row('table4b', 'Average', '67.53', classroom('mobilenetv2_efficientnet_b0')),
        Row('table4b', 'Diverse', '68.29', classroom('mobilenetv2_efficientnet_b0_diverse')),
    ]
    for stem, student, dtkd8, dtkd12, ours in TABLE5:
        for tau, paper in ((8, dtkd8), (12, dtkd12)):
            rows.append(Row('table5', f'{student} ({stem}): Ours + DTKD, tau {tau}', paper,
                            classroom(stem, 'DTKD', f'model.mentoring.base_temperature={tau}',
                                      name=f'classroom_{stem}_dtkd_tau{tau}')))
        rows.append(Row('table5', f'{student} ({stem}): Ours', ours, classroom(stem)))
    for stem, method_b, ours in TABLE6:
        rows += [Row('table6', f'{stem}: Method B', method_b, classroom(stem, 'Method B')),
                 Row('table6', f'{stem}: Ours', ours, classroom(stem))]
    return rows


def other_dataset_rows() -> List[Row]:
    imagenet = 'configs/imagenet/classroom_resnet34_regnety320.py'
    rows = [Row('table2b', 'ImageNet R34: NOKD', '73.31',
                Run('mmpretrain::resnet/resnet34_8xb32_in1k.py')),
            Row('table2b', 'ImageNet R34: AVER', '74.60', Run(variant_config(imagenet, 'AVER'))),
            Row('table2b', 'ImageNet R34: Ours', '75.20', Run(imagenet))]
    for config, label, nokd_config, nokd, aver, ours in TABLE2C:
        rows += [Row('table2c', f'{label}: NOKD', nokd, Run(nokd_config)),
                 Row('table2c', f'{label}: AVER', aver, Run(variant_config(config, 'AVER'))),
                 Row('table2c', f'{label}: Ours', ours, Run(config))]
    return rows


def figure_rows() -> List[Row]:
    rows = []
    for tau in TAU_GRID:  # tau0 = 12 is the classroom's own default
        adaptive = classroom(MBV2) if tau == 12 else classroom(
            MBV2, 'ClassroomKD', f'model.mentoring.base_temperature={tau}',
            name=f'classroom_{MBV2}_tau{tau}')
        rows += [
            Row('fig3', f'adaptive, tau0 = {tau}', '69.78 (text)' if tau == 12 else '-', adaptive),
            Row('fig3', f'fixed, tau = {tau}', '-', classroom(
                MBV2, 'Mentoring off', f'model.mentoring.fixed_temperature={tau}',
                name=f'classroom_{MBV2}_fixed-tau{tau}')),
        ]
    for teachers in range(len(FIG4_TEACHERS) + 1):
        for peers in range(len(FIG4_PEERS) + 1):
            mentors = FIG4_TEACHERS[:teachers] + FIG4_PEERS[:peers]
            if not mentors:
                run = standalone('mobilenetv2')
            elif (teachers, peers) == (1, 5):  # the shipped classroom itself
                run = classroom(MBV2)
            else:
                run = Run(classroom(MBV2).config, mentors=mentors,
                          name=f'fig4_{MBV2}_t{teachers}_p{peers}')
            rows.append(Row('fig4', f'{teachers} teachers, {peers} peers',
                            FIG4_PAPER.get((teachers, peers), '-'), run))
    return rows


def all_rows() -> List[Row]:
    return pretraining_rows() + cifar_table_rows() + other_dataset_rows() + figure_rows()


def select(rows: List[Row], prefixes: Optional[List[str]]) -> List[Row]:
    """The rows whose table starts with one of ``prefixes`` (all rows when there are none)."""
    return [row for row in rows if not prefixes or row.table.startswith(tuple(prefixes))]


def generated_config(run: Run, config_dir: str) -> str:
    """The text of the config that gives ``run.config`` the mentors ``run.mentors``."""
    base = osp.relpath(osp.abspath(run.config), osp.abspath(config_dir))
    mentors = ''.join(f'    {{{{_base_.cifar100_mentors.{name}}}}},\n' for name in run.mentors)
    return (f'# Generated by tools/paper_runs.py: {osp.basename(run.config)}, other mentors.\n'
            f'_base_ = [{base!r}]\nmodel = dict(mentors=[\n{mentors}])\n')


def config_path(run: Run, config_dir: str) -> str:
    if run.mentors is None:
        return run.config
    return osp.join(config_dir, f'{run.work_name}.py')


def command(run: Run, config_dir: str) -> str:
    parts = ['python tools/train.py', config_path(run, config_dir)]
    if run.name and run.mentors is None:
        parts += ['--work-dir', f'work_dirs/{run.name}']
    if run.options:
        parts += ['--cfg-options', *run.options]
    return ' '.join(parts)


def commands(rows: List[Row], config_dir: str) -> List[str]:
    """One command per run, in row order, each run once."""
    return list(dict.fromkeys(command(row.run, config_dir) for row in rows))


def write_generated_configs(rows: List[Row], config_dir: str) -> None:
    for run in {row.run for row in rows if row.run.mentors is not None}:
        os.makedirs(config_dir, exist_ok=True)
        with open(config_path(run, config_dir), 'w') as f:
            f.write(generated_config(run, config_dir))


def markdown(rows: List[Row], config_dir: str) -> str:
    lines = ['| table | row | paper | command |', '|---|---|---|---|']
    lines += [f'| {row.table} | {row.label} | {row.paper} | `{command(row.run, config_dir)}` |'
              for row in rows]
    return '\n'.join(lines)
