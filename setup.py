from setuptools import find_packages, setup

setup(
    name='classroomkd_mm',
    version='0.1.0',
    description='ClassroomKD multi-mentor knowledge distillation for MMPose and MMPretrain',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(include=['classroomkd_mm', 'classroomkd_mm.*']),
    python_requires='>=3.8',
    install_requires=['mmengine>=0.10.0', 'torch>=1.13'],
    extras_require={
        'pose': ['mmpose>=1.3.0', 'mmdet>=3.3.0'],
        'cls': ['mmpretrain>=1.2.0'],
    },
)
