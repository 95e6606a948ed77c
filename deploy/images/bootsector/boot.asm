; KeelsonDOS: the smallest "other operating system" a Full VM (kind VirtualMachine) can boot.
; A 512-byte BIOS boot sector in real mode: SeaBIOS loads it at 0x7c00 from the VM's first disk;
; it prints a banner on COM1 (the VM's serial console = the pod's log and `kubectl attach`) and
; echoes every byte it receives, with a new prompt after Enter.
;
;   nasm -f bin -o boot.img boot.asm     (build-bootsector-disk.sh does this)
;
; It waits with `hlt` between polls (the BIOS timer wakes it 18 times a second), so an idle VM
; costs almost no host CPU even under TCG.

bits 16
org 0x7c00

COM1 equ 0x3f8

start:
    cli
    xor ax, ax
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov sp, 0x7c00
    cld
    ; 115200 baud 8N1, FIFOs on: the UART state does not depend on what the BIOS did
    mov dx, COM1 + 3
    mov al, 0x80            ; DLAB on
    out dx, al
    mov dx, COM1
    mov al, 1               ; divisor 1
    out dx, al
    inc dx
    xor al, al
    out dx, al
    mov dx, COM1 + 3
    mov al, 0x03            ; 8N1, DLAB off
    out dx, al
    mov dx, COM1 + 2
    mov al, 0x07            ; FIFO on, cleared
    out dx, al
    sti
    mov si, banner
    call puts

idle:
    hlt                     ; until the next interrupt (timer tick)
poll:
    mov dx, COM1 + 5        ; line status
    in al, dx
    test al, 1              ; a byte received?
    jz idle
    mov dx, COM1
    in al, dx
    cmp al, 13              ; Enter: a fresh prompt
    je enter
    call putc
    jmp poll
enter:
    mov si, prompt
    call puts
    jmp poll

; putc: AL to COM1 once the transmitter is empty
putc:
    push ax
    mov dx, COM1 + 5
.wait:
    in al, dx
    test al, 0x20
    jz .wait
    pop ax
    mov dx, COM1
    out dx, al
    ret

; puts: the zero-terminated string at DS:SI
puts:
    lodsb
    test al, al
    jz .done
    call putc
    jmp puts
.done:
    ret

banner db 13, 10, "KeelsonDOS 1.0 ready", 13, 10
prompt db 13, 10, "A> ", 0

    times 510 - ($ - $$) db 0
    dw 0xaa55               ; the BIOS boots a sector that ends so
