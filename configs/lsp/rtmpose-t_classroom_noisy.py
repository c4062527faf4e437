# The noisy SimCC classroom: the two strong mentors and a weak RTMPose-t (two epochs on the
# students' 1,000 images; shipped in data/lsp_mentors/).
_base_ = ['./rtmpose-t_classroom.py']
model = dict(mentors=[
    dict(name='rtmpose-s', config='{{fileDirname}}/rtmpose-s_lsp-64x64.py',
         checkpoint='data/lsp_mentors/rtmpose-s.pth'),
    dict(name='rtmpose-t', config='{{fileDirname}}/rtmpose-t_lsp-64x64.py',
         checkpoint='data/lsp_mentors/rtmpose-t.pth'),
    dict(name='rtmpose-t_weak', config='{{fileDirname}}/rtmpose-t_lsp-64x64.py',
         checkpoint='data/lsp_mentors/rtmpose-t_weak.pth'),
])
