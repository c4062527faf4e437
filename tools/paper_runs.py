"""The run behind every row of the paper's Tables 1-6 and Figures 3-4, as commands.

    python tools/paper_runs.py [--only PREFIX ...] [--config-dir DIR]  # one command a line
    python tools/paper_runs.py --markdown                  # the table of docs/reproduction.md

A row names a shipped config, a shipped config with ``--cfg-options``, or a classroom
with another mentor list (Figure 4, Table 3a): that one is written as a small config
under ``--config-dir`` (default ``work_dirs/paper_configs``). A run shared by several
rows is printed once. ``--only table6 fig3`` keeps the rows of those tables; ``mentors``
are the standalone runs every CIFAR-100 classroom needs first.
"""
import argparse
import os
import os.path as osp
from dataclasses import dataclass
from typing import List, Optional, Tuple

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


def classroom(stem: str, variant: str = '', *options: str, name: str = None) -> Run:
    return Run(f'{CIFAR}classroom_{stem}{variant}.py', tuple(options), name=name)


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
# Table 2c: config prefix, label, NOKD config, NOKD, AVER, Ours.
TABLE2C = [('configs/mpii/litehrnet-18_classroom_same', 'MPII, same peers',
            'configs/mpii/litehrnet-18_nokd.py', '85.91', '86.64', '86.72'),
           ('configs/mpii/litehrnet-18_classroom_mixed', 'MPII, mixed peers',
            'configs/mpii/litehrnet-18_nokd.py', '85.91', '86.07', '86.37'),
           ('configs/coco/rtmpose-t_classroom_210e', 'COCO (210 epochs)',
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
                 Row('table1', f'{stem}: KD', kd, classroom(stem, '_kd')),
                 Row('table1', f'{stem}: Ours', ours, classroom(stem))]
    for stem, student, nokd, aver, ours in TABLE2A:
        rows += [Row('table2a', f'{stem}: NOKD', nokd, standalone(student)),
                 Row('table2a', f'{stem}: AVER', aver, classroom(stem, '_aver')),
                 Row('table2a', f'{stem}: Ours', ours, classroom(stem))]
    mbv2 = 'mobilenetv2_vgg13'
    rows += [
        Row('table3a', 'student only', '63.31', standalone('mobilenetv2')),
        Row('table3a', '+ teacher (no peers, no adaptive distillation)', '63.35',
            Run(f'{CIFAR}classroom_{mbv2}_kf-off_mentoring-off.py', mentors=('vgg13', ),
                name=f'table3a_{mbv2}_teacher-only')),
        Row('table3a', '+ peers (no adaptive distillation)', '65.96',
            classroom(mbv2, '_kf-off_mentoring-off')),
        Row('table3a', '+ adaptive distillation', '68.52', classroom(mbv2)),
        Row('table3b', 'KF off, Mentoring off', '65.96', classroom(mbv2, '_kf-off_mentoring-off')),
        Row('table3b', 'KF off, Mentoring on', '67.25', classroom(mbv2, '_kf-off')),
        Row('table3b', 'KF on, Mentoring off', '68.49', classroom(mbv2, '_mentoring-off')),
        Row('table3b', 'KF on, Mentoring on', '68.52', classroom(mbv2)),
        Row('table4a', 'Same (EN-B0 x6)', '67.53', classroom('mobilenetv2_efficientnet_b0')),
        Row('table4a', 'Diverse (VGG13, R8, R14, R20, SN-V1, SN-V2)', '68.52', classroom(mbv2)),
        Row('table4b', 'Low', '67.77', classroom('mobilenetv2_efficientnet_b0', '_low')),
        Row('table4b', 'Average', '67.53', classroom('mobilenetv2_efficientnet_b0')),
        Row('table4b', 'Diverse', '68.29', classroom('mobilenetv2_efficientnet_b0', '_diverse')),
    ]
    for stem, student, dtkd8, dtkd12, ours in TABLE5:
        for tau, paper in ((8, dtkd8), (12, dtkd12)):
            rows.append(Row('table5', f'{student} ({stem}): Ours + DTKD, tau {tau}', paper,
                            classroom(stem, '_dtkd', f'model.mentoring.base_temperature={tau}',
                                      name=f'classroom_{stem}_dtkd_tau{tau}')))
        rows.append(Row('table5', f'{student} ({stem}): Ours', ours, classroom(stem)))
    for stem, method_b, ours in TABLE6:
        rows += [Row('table6', f'{stem}: Method B', method_b, classroom(stem, '_method-b')),
                 Row('table6', f'{stem}: Ours', ours, classroom(stem))]
    return rows


def other_dataset_rows() -> List[Row]:
    imagenet = 'configs/imagenet/classroom_resnet34_regnety320'
    rows = [Row('table2b', 'ImageNet R34: NOKD', '73.31',
                Run('mmpretrain::resnet/resnet34_8xb32_in1k.py')),
            Row('table2b', 'ImageNet R34: AVER', '74.60', Run(f'{imagenet}_aver.py')),
            Row('table2b', 'ImageNet R34: Ours', '75.20', Run(f'{imagenet}.py'))]
    for prefix, label, nokd_config, nokd, aver, ours in TABLE2C:
        rows += [Row('table2c', f'{label}: NOKD', nokd, Run(nokd_config)),
                 Row('table2c', f'{label}: AVER', aver, Run(f'{prefix}_aver.py')),
                 Row('table2c', f'{label}: Ours', ours, Run(f'{prefix}.py'))]
    return rows


def figure_rows() -> List[Row]:
    mbv2 = 'mobilenetv2_vgg13'
    rows = []
    for tau in TAU_GRID:  # tau0 = 12 is the classroom's own default
        adaptive = classroom(mbv2) if tau == 12 else classroom(
            mbv2, '', f'model.mentoring.base_temperature={tau}', name=f'classroom_{mbv2}_tau{tau}')
        rows += [
            Row('fig3', f'adaptive, tau0 = {tau}', '69.78 (text)' if tau == 12 else '-', adaptive),
            Row('fig3', f'fixed, tau = {tau}', '-', classroom(
                mbv2, '', 'model.mentoring.enabled=False',
                f'model.mentoring.fixed_temperature={tau}',
                name=f'classroom_{mbv2}_fixed-tau{tau}')),
        ]
    for teachers in range(len(FIG4_TEACHERS) + 1):
        for peers in range(len(FIG4_PEERS) + 1):
            mentors = FIG4_TEACHERS[:teachers] + FIG4_PEERS[:peers]
            if not mentors:
                run = standalone('mobilenetv2')
            elif (teachers, peers) == (1, 5):  # the shipped classroom itself
                run = classroom(mbv2)
            else:
                run = Run(f'{CIFAR}classroom_{mbv2}.py', mentors=mentors,
                          name=f'fig4_{mbv2}_t{teachers}_p{peers}')
            rows.append(Row('fig4', f'{teachers} teachers, {peers} peers',
                            FIG4_PAPER.get((teachers, peers), '-'), run))
    return rows


def all_rows() -> List[Row]:
    return pretraining_rows() + cifar_table_rows() + other_dataset_rows() + figure_rows()


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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--only', nargs='+', metavar='PREFIX',
                        help='rows whose table starts with one of these, e.g. table6 fig3')
    parser.add_argument('--config-dir', default=DEFAULT_CONFIG_DIR,
                        help='where the generated configs are written')
    parser.add_argument('--markdown', action='store_true',
                        help='print the reproduction table instead of the commands')
    args = parser.parse_args()
    rows = [row for row in all_rows()
            if not args.only or any(row.table.startswith(p) for p in args.only)]
    if args.markdown:
        print(markdown(rows, args.config_dir))
        return
    write_generated_configs(rows, args.config_dir)
    printed = set()
    for row in rows:
        line = command(row.run, args.config_dir)
        if line not in printed:
            printed.add(line)
            print(line)
    if any(row.table == 'mentors' for row in rows):
        print('python tools/pick_graded_mentors.py work_dirs/efficientnet_b0')


if __name__ == '__main__':
    main()
