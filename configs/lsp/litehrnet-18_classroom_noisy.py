# The noisy heatmap classroom: the two strong mentors and a weak LiteHRNet-18 (two epochs on
# the students' 1,000 images; shipped in data/lsp_mentors/).
_base_ = ['./litehrnet-18_classroom.py']
model = dict(mentors=[
    dict(name='litehrnet-30', config='{{fileDirname}}/litehrnet-30_lsp-64x64.py',
         checkpoint='data/lsp_mentors/litehrnet-30.pth'),
    dict(name='litehrnet-18', config='{{fileDirname}}/litehrnet-18_lsp-64x64.py',
         checkpoint='data/lsp_mentors/litehrnet-18.pth'),
    dict(name='litehrnet-18_weak', config='{{fileDirname}}/litehrnet-18_lsp-64x64.py',
         checkpoint='data/lsp_mentors/litehrnet-18_weak.pth'),
])
